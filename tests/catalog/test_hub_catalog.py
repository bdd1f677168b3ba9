"""The hub's own catalog reaching a till: an admin changes a price, a store price and a
promotion in the admin app, publishes the store, and a till on a real broker sells with
them."""
import pytest

from hub import accounts
from hub.app import create_app
from hub.catalog_push import CatalogServer
from hub.models import Store
from hub.stores import import_store_file, publish
from tests.edge.conftest import MILK, WINE, store
from tests.hub.admin_client import PASSWORD, Admin
from tests.waiting import wait_for

from .test_push import open_sale, running

MILK_FORM = {"sku": "MILK", "name": "Milk 2L", "category": "", "tags": "dairy",
             "tax_class": "zero", "sold_by": "unit", "unit_price": "1.20", "member_price": "",
             "barcodes": MILK, "rcn_item": ""}


@pytest.fixture
def hub(tmp_path, broker):
    """The admin app, and the catalog server on the same database object (one a process,
    as the hub runs them)."""
    hub = create_app({"database": tmp_path / "hub.sqlite3", "instance": tmp_path / "hub"})
    server = CatalogServer(hub.extensions["hub_db"], {"port": broker.port,
                                                      "password": "hub-secret"})
    server.start()
    yield hub
    server.stop()


def test_an_admins_changes_reach_a_till_when_the_store_is_published(hub, tills):
    database = hub.extensions["hub_db"]
    import_store_file(database, store(), "system")
    publish(database, Store.get(Store.code == "test"), "system")
    app = tills.start("T01")
    wait_for(lambda: running(app) == "1")
    accounts.create_user("system", "manager", "Manager", "store_manager", PASSWORD)
    admin = Admin(hub.test_client())
    admin.sign_in("manager")
    admin.submit("/products/MILK", MILK_FORM, status=302)
    admin.submit("/products/WINE/prices", {"store": "test", "unit_price": "7.50"},
                 form_page="/products/WINE", status=302)
    admin.submit("/promotions/new", {"code": "WINE10", "name": "10% off wine",
                                     "type": "percent_off", "skus": "WINE", "percent": "10",
                                     "stores": "test"}, status=302)
    assert running(app) == "1"  # nothing reaches the tills before the store is published
    admin.submit("/stores/test/publish", {}, form_page="/stores/test", status=302)
    wait_for(lambda: running(app) == "2")
    sale = open_sale(app, [MILK, WINE]).get("/api/sale")["sale"]
    milk, wine = sale["lines"]
    assert (milk["unit_price"], wine["unit_price"]) == (120, 750)
    assert sale["total"] == 120 + 750 - 75 + 135  # wine 10% off, then 20% VAT on 675
