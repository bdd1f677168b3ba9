"""The customers' pages in real headless Chromium: an admin finds a customer by typing
part of a phone number, then merges two records of one person from the duplicates page
and finds the merged purchases, points and card under the one who stayed."""
import threading

import pytest
from playwright.sync_api import expect
from werkzeug.serving import make_server

from hub import customers
from hub.accounts import create_user
from hub.app import create_app
from hub.ingest import apply
from tests.edge.browser import Screen
from tests.hub.admin_client import PASSWORD, sign_in_browser
from tests.hub.test_ingest import TOPIC
from tests.hub.test_sale_effects import sale

SIZE = {"width": 1280, "height": 800}


@pytest.fixture
def hub_url(tmp_path):
    app = create_app({"database": tmp_path / "hub.sqlite3", "instance": tmp_path / "hub"})
    create_user("system", "ada", "Ada Admin", "admin", PASSWORD)
    database = app.extensions["hub_db"]
    for name, email, phone, card in (("Jo Bloggs", "jo@example.com", "+49 30 1234567",
                                      "LC1001"),
                                     ("Anna Weber", "anna@example.com", "0171 5550101", ""),
                                     ("J. Bloggs", "JO@example.com", "", "LC1002")):
        customers.save_customer("system", {"name": name, "email": email, "phone": phone,
                                           "card": card, "member": "on"})
    apply(database, TOPIC, sale("s-1", 1, 1250, customer="C000001"))
    apply(database, TOPIC, sale("s-2", 2, 830, customer="C000003"))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_find_a_customer_and_merge_two(chromium, hub_url):
    context = chromium.new_context(viewport=SIZE)
    hub = Screen(context.new_page(), "test_hub_customers", SIZE)
    try:
        sign_in_browser(hub, hub_url + "/customers", "ada")
        hub("customer-search").fill("555 01")  # htmx asks as the admin types
        expect(hub("customer-C000002")).to_contain_text("Anna Weber")
        expect(hub("customer-C000001")).to_have_count(0)
        hub.page.get_by_role("link", name="C000002").click()
        expect(hub("customer-name")).to_contain_text("Anna Weber")
        hub.shot("customer")

        hub.page.get_by_role("link", name="← Customers").click()
        hub.tap("duplicates")
        expect(hub("pair-C000001-C000003")).to_contain_text("same email")
        hub.tap("merge-C000001-C000003")
        expect(hub("sides")).to_contain_text("J. Bloggs")
        hub.shot("merge")
        hub.tap("confirm-merge")
        expect(hub("done")).to_contain_text("C000003 merged into C000001")
        expect(hub("visits")).to_have_text("2")
        expect(hub("points")).to_have_text(str(12 + 8))
        expect(hub("aliases")).to_contain_text("C000003 (card LC1002)")
        expect(hub("sale-s-2")).to_contain_text("8.30")
        hub.page.goto(hub_url + "/customers/C000003")  # the old id leads to the survivor
        expect(hub("merged-notice")).to_contain_text("C000003 was merged into C000001")
        hub.page.goto(hub_url + "/customers/duplicates")
        expect(hub("no-pairs")).to_be_visible()
        assert hub.errors == []
    finally:
        context.close()
