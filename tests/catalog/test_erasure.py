"""An erased customer leaves the tills through a real broker: a till online drops them
with the next version, one offline when it comes back, whatever version it kept."""
from hub import customers
from hub.catalog_push import CatalogServer
from hub.catalog_versions import CatalogVersion
from hub.models import Customer
from hub.stores import import_store_file, publish
from tests.waiting import wait_for

from .conftest import store
from .test_push import running

CARD = "LC1001"  # C1's, in the test store


def card_holder(app):
    return app.extensions["till"].catalog.find_customer(card=CARD)


def test_online_and_offline_tills_forget_an_erased_customer(hub_db, broker, tills):
    test = import_store_file(hub_db, store(), "system")
    publish(hub_db, test, "system")
    server = CatalogServer(hub_db, {"port": broker.port, "password": "hub-secret"})
    server.SCHEDULE_S = 0.2
    server.start()
    try:
        # One in-process till at a time (their journals share the models): T02 took
        # version 1 and went offline; T01 runs on.
        offline = tills.start("T02")
        wait_for(lambda: running(offline) == "1")
        assert card_holder(offline).id == "C1"
        tills.stop(offline)
        online = tills.start("T01")
        wait_for(lambda: running(online) == "1")
        assert card_holder(online).id == "C1"
        customers.erase("ada", Customer.get(Customer.code == "C1"))
        wait_for(lambda: running(online) == "2")
        assert card_holder(online) is None
        wait_for(lambda: "Jo Bloggs" not in CatalogVersion.get(version=1).snapshot)
        kept_online = online.extensions["catalog_sync"].path.read_text()
        tills.stop(online)
        back = tills.start("T02")  # on its kept version 1, with C1 in it
        assert running(back) == "1" and card_holder(back).id == "C1"
        wait_for(lambda: running(back) == "2")
        assert card_holder(back) is None
        for kept in (kept_online, back.extensions["catalog_sync"].path.read_text()):
            assert "Jo Bloggs" not in kept and CARD not in kept
    finally:
        server.stop()
