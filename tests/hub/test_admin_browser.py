"""The admin app in real headless Chromium, on a laptop and a tablet: an admin signs in,
sees the fleet with an offline till flagged, adds a user, finds it in the audit log, and
creates a product (a wrong barcode first), then finds it by its barcode; marketing
writes a promotion (a wrong field first), previews it on a sample basket and saves it;
the dashboard draws its charts; marketing builds a segment, counted as it is written."""
import threading

import pytest
from playwright.sync_api import expect
from werkzeug.serving import make_server

from hub import reports
from hub.accounts import create_user
from hub.app import create_app
from hub.ingest import apply
from hub.models import CustomerStats, Promotion, Store, TaxClass
from hub.stores import import_store_file
from tests.edge.browser import Screen
from tests.edge.conftest import ean13, store
from tests.hub.admin_client import sign_in_browser
from tests.hub.test_fleet import TILL, presence
from tests.hub.test_ingest import sale_message

TEA_BARCODE = ean13("400000000001")
SIZES = [{"width": 1280, "height": 800}, {"width": 768, "height": 1024}]


@pytest.fixture
def hub_url(tmp_path):
    app = create_app({"database": tmp_path / "hub.sqlite3", "instance": tmp_path / "hub"})
    create_user("system", "ada", "Ada Admin", "admin", "correct horse battery")
    create_user("system", "mo", "Mo Market", "marketing", "correct horse battery")
    TaxClass.create(code="standard", name="Standard")
    database = app.extensions["hub_db"]
    apply(database, TILL + "birth", presence("birth", 1))
    apply(database, "tilly/v1/store-1/T02/death", presence("death", 0, till="T02"))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.mark.parametrize("size", SIZES, ids=lambda size: f"{size['width']}x{size['height']}")
def test_sign_in_fleet_and_a_new_user(chromium, hub_url, size):
    context = chromium.new_context(viewport=size)
    hub = Screen(context.new_page(), "test_hub_admin", size)
    try:
        hub.page.goto(hub_url + "/fleet")
        expect(hub("sign-in-form")).to_be_visible()
        hub("username").fill("ada")
        hub("password").fill("wrong password")
        hub.tap("sign-in")
        expect(hub("error")).to_contain_text("not right")
        hub("username").fill("ada")
        hub("password").fill("correct horse battery")
        hub.tap("sign-in")
        expect(hub("signed-in-as")).to_contain_text("Ada Admin")
        expect(hub("till-store-1-T02")).to_contain_text("the till is offline")
        expect(hub("till-store-1-T01")).to_contain_text("online")
        hub.shot("fleet")
        hub.page.get_by_role("link", name="Users").click()
        hub("new-username").fill("sam")
        hub("new-name").fill("Sam Lee")
        hub("new-role").select_option("store_manager")
        hub("new-password").fill("x" * 12)
        hub.tap("create-user")
        expect(hub("users")).to_contain_text("Sam Lee")
        hub.page.get_by_role("link", name="Audit log").click()
        expect(hub("audit")).to_contain_text("user.create")
        hub.shot("audit")
        hub.page.get_by_role("link", name="Products").click()
        hub.tap("new-product")
        hub("sku").fill("TEA")
        hub("name").fill("Green tea")
        hub("unit_price").fill("3.49")
        hub("barcodes").fill("4000000000010")
        hub.tap("save-product")
        expect(hub("error-barcodes")).to_contain_text("check digit")
        hub("barcodes").fill(TEA_BARCODE)
        hub.tap("save-product")
        expect(hub.page.get_by_role("heading", name="Green tea")).to_be_visible()
        hub.page.get_by_role("link", name="← Products").click()
        hub("product-search").fill(TEA_BARCODE)
        expect(hub("product-TEA")).to_contain_text("3.49")
        hub.shot("products")
        hub.tap("sign-out")
        expect(hub("sign-in-form")).to_be_visible()
        assert hub.errors == []
    finally:
        context.close()


@pytest.fixture
def test_store(hub_url):
    """Store "test" in the hub's catalog: its tax classes, products (MILK…) and promotions."""
    import_store_file(Store._meta.database, store(), "system")
    return hub_url


@pytest.mark.parametrize("size", SIZES, ids=lambda size: f"{size['width']}x{size['height']}")
def test_marketing_creates_a_promotion_with_a_preview(chromium, test_store, size):
    hub_url = test_store
    context = chromium.new_context(viewport=size)
    hub = Screen(context.new_page(), "test_hub_promotion", size)
    try:
        hub.page.goto(hub_url + "/promotions")
        hub("username").fill("mo")
        hub("password").fill("correct horse battery")
        hub.tap("sign-in")
        hub.tap("new-promotion")
        hub("code").fill("MILK3")
        hub("name").fill("Milk 3 for 2.00")
        hub("type").select_option("mix_match")
        expect(hub("percent")).to_be_hidden()  # the deal's fields follow the type
        hub("skus").fill("MILK")
        hub("qty").fill("1")
        hub("price").fill("2.00")
        hub("stores").fill("test")
        hub("basket").fill("MILK x 4\nBREAD")
        hub.tap("preview")
        expect(hub("preview-error")).to_contain_text("qty")
        hub("qty").fill("3")
        hub.tap("preview")
        expect(hub("preview-saving")).to_have_text("1.00")
        expect(hub("preview-total")).to_have_text("6.45")
        hub.shot("promotion-preview")
        hub.tap("save-promotion")
        expect(hub("status")).to_contain_text("running")
        hub.page.get_by_role("link", name="← Promotions").click()
        expect(hub("promotions")).to_contain_text("Milk 3 for 2.00")
        assert Promotion.get(Promotion.code == "MILK3").rule["qty"] == 3
        assert hub.errors == []
    finally:
        context.close()


@pytest.mark.parametrize("size", SIZES, ids=lambda size: f"{size['width']}x{size['height']}")
def test_the_dashboard_draws_its_charts(chromium, hub_url, size):
    apply(Store._meta.database, TILL + "sale", sale_message())  # a sale on 25 Nov
    reports.refresh(Store._meta.database)  # the catalog server's scheduled job
    context = chromium.new_context(viewport=size)
    hub = Screen(context.new_page(), "test_hub_dashboard", size)
    try:
        sign_in_browser(hub, hub_url + "/reports?from=2026-11-25&to=2026-11-25", "mo")
        expect(hub("kpi-sales")).to_have_text("1")
        for chart in ("chart-day", "chart-hour", "chart-categories"):
            drawn = hub(chart).evaluate("canvas => Chart.getChart(canvas) !== undefined")
            assert drawn, chart
        expect(hub("table-day")).to_contain_text("2026-11-25")
        hub.shot("dashboard")
        assert hub.errors == []
    finally:
        context.close()


def test_marketing_builds_a_segment_counted_as_it_is_written(chromium, hub_url):
    size = SIZES[1]  # the tablet
    context = chromium.new_context(viewport=size)
    hub = Screen(context.new_page(), "test_hub_segment", size)
    try:
        for number, spent in enumerate((500, 6000, 9000)):
            CustomerStats.create(customer=f"C{number}", visits=1, spent=spent,
                                 last_purchase="2026-11-30")
        sign_in_browser(hub, hub_url + "/segments", "mo")
        hub("name").fill("Big spenders")
        hub("min_spent").fill("50")
        expect(hub("live-count")).to_have_text("2")
        hub("min_spent").fill("fifty")
        expect(hub("count-error")).to_contain_text("not an amount")
        hub("min_spent").fill("80.00")
        expect(hub("live-count")).to_have_text("1")
        hub.tap("save-segment")
        expect(hub("segment-count")).to_have_text("1")
        hub.shot("segment")
        assert hub.errors == []
    finally:
        context.close()
