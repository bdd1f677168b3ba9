"""A campaign end to end, in real Chromium on a real broker and SMTP server: marketing
makes a campaign for a segment and launches it; the catalog server sends the till the
codes' key and emails each targeted customer their code; a cashier enters one customer's
code at the kiosk of a till process and sells; the sale reaches the hub through Mosquitto
and the ingest, and the campaign page shows the code redeemed, its revenue and the ROI
against the holdout group."""
import re
import threading

import pytest
from playwright.sync_api import expect
from werkzeug.serving import make_server

from hub import mail, promotions
from hub.accounts import create_user
from hub.app import create_app
from hub.catalog_push import CatalogServer
from hub.ingest import Ingest
from hub.models import (
    CampaignRecipient,
    CouponRedemption,
    Customer,
    CustomerStats,
    Segment,
    Store,
    TillPresence,
)
from hub.stores import import_store_file, publish
from tests.catalog.test_push import till_process
from tests.conftest import USERS
from tests.edge.browser import Screen, scan_into_code_box, sign_in
from tests.edge.conftest import PINS, WINE, store
from tests.hub.admin_client import PASSWORD, sign_in_browser
from tests.mqtt_clients import hub_online
from tests.waiting import wait_for

SIZE = {"width": 1280, "height": 800}


@pytest.fixture
def hub(tmp_path, broker, smtp):
    """The admin app served on a free port, with the catalog server (its scheduled jobs
    every half second) and an ingest worker on its database; the shop's customers."""
    app = create_app({"database": tmp_path / "hub.sqlite3", "instance": tmp_path / "hub"})
    database = app.extensions["hub_db"]
    create_user("system", "mo", "Mo Market", "marketing", PASSWORD)
    import_store_file(database, store(), "system")
    promotions.save("system", {"code": "WINE20", "name": "20% off wine", "type": "percent_off",
                               "skus": "WINE", "percent": "20", "stores": "test"})
    for number in range(1, 21):
        Customer.create(code=f"C{number:03d}", name=f"Kim{number} Lee", card=f"LC7{number:03d}",
                        email=f"kim{number}@example.com", email_marketing=True)
        CustomerStats.create(customer=f"C{number:03d}", visits=3, spent=9000,
                             last_purchase="2026-11-20")
    Segment.create(name="Wine lovers", rules={"min_visits": 2}, updated_by="system")
    mail.save("system", {"host": "127.0.0.1", "port": str(smtp[0]), "security": "none",
                         "sender": "offers@shop.example"})
    publish(database, Store.get(Store.code == "test"), "system")
    settings = {"port": broker.port, "password": USERS["hub"]}
    catalog = CatalogServer(database, settings)
    catalog.SCHEDULE_S = 0.5
    ingest = Ingest(database, settings, "1")
    catalog.start()
    ingest.start()
    wait_for(lambda: hub_online(broker))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    ingest.stop()
    catalog.stop()


def test_a_campaign_from_its_segment_to_a_redeemed_code_and_its_roi(
        chromium, hub, smtp, broker, store_file, tmp_path):
    mailbox = smtp[1]
    # A context each: cookies ignore the port, and the hub and the till both have one.
    contexts = [chromium.new_context(viewport=SIZE) for _ in range(2)]
    admin = Screen(contexts[0].new_page(), "test_campaign_admin", SIZE)
    kiosk = Screen(contexts[1].new_page(), "test_campaign_kiosk", SIZE)
    try:
        with till_process(store_file, tmp_path, broker.port, "T01") as till:
            wait_for(lambda: TillPresence.get_or_none(TillPresence.till == "T01")
                     and TillPresence.get(TillPresence.till == "T01").catalog == "1")
            # Marketing makes the campaign (a wrong field first) and launches it.
            sign_in_browser(admin, hub + "/campaigns", "mo")
            expect(admin("mail-missing")).to_have_count(0)
            admin.tap("new-campaign")
            admin("name").fill("Wine lovers, spring")
            admin("prefix").fill("WINE")
            admin("segment").select_option(label="Wine lovers")
            admin("promotion").select_option("WINE20")
            admin("holdout_percent").fill("20")
            admin("cost").fill("5.00")
            admin("message").fill("Hello {name}, 20% off wine with the code")
            admin.tap("save-campaign")
            expect(admin("error-message")).to_contain_text("{code}")
            admin("message").fill("Hello {name}, 20% off wine with the code {code}")
            admin.tap("save-campaign")
            expect(admin("reachable")).to_have_text("20")
            admin.shot("1-draft")
            admin.page.once("dialog", lambda dialog: dialog.accept())
            admin.tap("launch-campaign")
            expect(admin("status")).to_have_text("sending")

            # Each customer of the target group gets an email with their code; the till
            # gets the catalog with the campaign's key.
            targets = list(CampaignRecipient.select().where(~CampaignRecipient.holdout))
            assert 10 <= len(targets) < 20
            wait_for(lambda: len(mailbox.messages) == len(targets), timeout=15)
            wait_for(lambda: TillPresence.get(TillPresence.till == "T01").catalog == "2")
            chosen = targets[0]
            email = mailbox.to(Customer.get(Customer.code == chosen.customer).email)[0]
            printed = re.search(r"WINE-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}",
                                email.get_content())[0]
            assert printed.replace("-", "") == chosen.code.replace("-", "")

            # At the till: the customer's card, a wine, and their code.
            kiosk.page.goto(till.url + "/")
            sign_in(kiosk, PINS["S01"])
            scan_into_code_box(kiosk, Customer.get(Customer.code == chosen.customer).card)
            scan_into_code_box(kiosk, WINE)
            kiosk.tap("open-coupon")
            kiosk("coupon-input").fill(printed)
            kiosk.tap("coupon-add")
            expect(kiosk("coupon-state")).to_contain_text("20% off wine")
            expect(kiosk("total")).to_have_text("£7.67")  # 7.99 - 1.60, and 20% VAT
            kiosk.shot("2-code")
            kiosk.tap("pay", "tender-card")
            expect(kiosk("screen-complete")).to_be_visible()

            # The sale reaches the hub; the campaign page shows what it brought.
            wait_for(lambda: CouponRedemption.select().count() == 1, timeout=15)
            admin.page.reload()
            expect(admin("redeemed")).to_contain_text("1")
            expect(admin("revenue")).to_have_text("7.67")
            expect(admin("discounts")).to_have_text("1.60")
            expect(admin("roi")).not_to_have_text("–")
            admin.shot("3-results")
            admin.page.goto(hub + "/campaigns")
            expect(admin("campaign-roi")).not_to_have_text("–")
        assert admin.errors == [] and kiosk.errors == []
    finally:
        for context in contexts:
            context.close()
