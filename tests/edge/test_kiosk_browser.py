"""The cashier's kiosk and the customer display in real headless Chromium, against a till
running as its own process, at a 7" (800x480) and a 10" (1280x800) screen size.

Every key step saves a screenshot to tests/artifacts/screenshots/.
"""
from playwright.sync_api import expect

from .browser import key_in, line, scan_into_code_box, sign_in
from .conftest import APPLE, BREAD, MILK, PINS, WINE, ean13

UNKNOWN = ean13("500000000099")


def test_full_sale(kiosk, till_server):
    kiosk.shot("1-sign-in")
    kiosk.in_view("sign-in")
    key_in(kiosk, "pin", PINS["S01"])
    kiosk.tap("sign-in")
    # No cash session yet: the float is counted first.
    expect(kiosk("screen-open-till")).to_be_visible()
    kiosk.tap("open-count-1000-plus", "open-count-1000-plus", "open-count-100-plus")
    expect(kiosk("open-count-total")).to_have_text("£21.00")
    for test in ("open-till", "open-count-total", "open-count-5-plus"):
        kiosk.in_view(test)
    kiosk.shot("1b-open-till")
    kiosk.tap("open-till")
    expect(kiosk("screen-sale")).to_be_visible()
    expect(kiosk("cashier-name")).to_have_text("Alice")
    expect(kiosk("session-info")).to_have_text("Session 1")

    # A scanner is a keyboard: it types the code into the page, then Enter.
    for code in (MILK, MILK, WINE):
        kiosk.page.keyboard.type(code)
        kiosk.page.keyboard.press("Enter")
    expect(line(kiosk, "MILK").locator('[data-test="line-qty"]')).to_have_text("2 ×")
    expect(line(kiosk, "WINE")).to_contain_text("Red wine")
    expect(kiosk("total")).to_have_text("£11.59")  # 2.00 + 7.99 + 1.60 VAT
    kiosk.in_view("total")
    kiosk.shot("2-scanned")

    line(kiosk, "MILK").click()
    key_in(kiosk, "line-pad", "3")
    kiosk.tap("line-enter")
    expect(line(kiosk, "MILK").locator('[data-test="line-qty"]')).to_have_text("3 ×")
    expect(line(kiosk, "MILK").locator('[data-test="line-discount"]')).to_have_text(
        "Milk 3 for 2.50-£0.50")
    expect(kiosk("saving").first).to_contain_text("Milk 3 for 2.50")
    expect(kiosk("total")).to_have_text("£12.09")
    kiosk.shot("3-quantity")

    kiosk.tap("open-customer", "kb-L", "kb-C", "kb-1", "kb-0", "kb-0", "kb-1", "customer-card")
    expect(kiosk("customer-name")).to_contain_text("Jo Bloggs")
    kiosk.in_view("total")
    kiosk.in_view("pay")
    kiosk.shot("4-customer")

    kiosk.tap("pay")
    expect(kiosk("amount-due")).to_have_text("£12.09")
    expect(kiosk("tender-cash-due")).to_contain_text("£12.10")  # rounded to 5p for cash
    for test in ("amount-due", "quick-cash-2000", "tender-card", "tender-pad-key-0"):
        kiosk.in_view(test)
    kiosk.shot("5-tender")
    kiosk.tap("quick-cash-2000")
    expect(kiosk("change-due")).to_have_text("£7.90")
    expect(kiosk("complete-info")).to_contain_text("Cash £20.00")
    kiosk.in_view("new-sale")
    kiosk.shot("6-change")
    assert till_server.call("GET", "/api/display")["sale"] is None

    kiosk.tap("new-sale")
    expect(kiosk("empty-basket")).to_be_visible()
    expect(kiosk("total")).to_have_text("£0.00")
    kiosk.shot("7-new-sale")


def test_split_tender_after_a_declined_card(kiosk):
    sign_in(kiosk, PINS["S01"])
    scan_into_code_box(kiosk, WINE)
    expect(kiosk("total")).to_have_text("£9.59")
    kiosk.tap("pay", "sim-toggle", "sim-card-decline")
    expect(kiosk("sim-status")).to_have_text("Next card: decline")
    kiosk.shot("1-simulate")
    kiosk.tap("sim-toggle")

    key_in(kiosk, "tender-pad", "459")
    expect(kiosk("tender-pad-display")).to_have_text("£4.59")
    kiosk.tap("tender-card")
    expect(kiosk("banner-text")).to_contain_text("card declined")
    expect(kiosk("amount-due")).to_have_text("£9.59")
    for test in ("banner-text", "amount-due", "tender-card", "tender-pad-key-0"):
        kiosk.in_view(test)
    kiosk.shot("2-declined")

    kiosk.tap("tender-card")  # the keyed £4.59 again; this card is approved
    expect(kiosk("due-label")).to_have_text("Remaining")
    expect(kiosk("amount-due")).to_have_text("£5.00")
    expect(kiosk("tender-paid-amount")).to_contain_text("£4.59")
    expect(kiosk("payment")).to_contain_text("£4.59")
    expect(kiosk("banner")).to_be_hidden()
    kiosk.shot("3-card-part")

    kiosk.tap("quick-exact")
    expect(kiosk("screen-complete")).to_be_visible()
    expect(kiosk("change-due")).to_have_text("£0.00")
    info = kiosk("complete-info")
    expect(info).to_contain_text("£4.59")
    expect(info).to_contain_text("Cash £5.00")
    kiosk.shot("4-complete")


def test_drawer_must_be_closed_before_the_next_cash_sale(kiosk):
    sign_in(kiosk, PINS["S01"])
    scan_into_code_box(kiosk, MILK)
    kiosk.tap("pay", "quick-exact")
    expect(kiosk("drawer-note")).to_be_visible()  # the drawer sprang open for the change
    kiosk.tap("new-sale")

    scan_into_code_box(kiosk, MILK)
    kiosk.tap("pay", "quick-exact")
    expect(kiosk("drawer-dialog")).to_contain_text("close the cash drawer")
    kiosk.in_view("drawer-retry")
    kiosk.shot("1-close-drawer")
    kiosk.tap("drawer-sim-close")
    expect(kiosk("screen-complete")).to_be_visible()
    expect(kiosk("change-due")).to_have_text("£0.00")


def test_hardware_scan_shows_on_kiosk_and_customer_display(kiosk, open_screen, till_server):
    sign_in(kiosk, PINS["S01"])
    display = open_screen("/display")
    expect(display("display-welcome")).to_contain_text("Welcome to Test Grocer")
    display.shot("1-welcome")
    for screen in (kiosk, display):
        screen.page.evaluate("window.loadedOnce = true")

    till_server.call("POST", "/api/sim/scan", {"code": MILK})
    expect(line(kiosk, "MILK")).to_contain_text("Milk 2L")
    expect(kiosk("total")).to_have_text("£1.00")
    expect(display("display-lines")).to_contain_text("Milk 2L")
    expect(display("total")).to_have_text("£1.00")
    kiosk.shot("2-kiosk")
    display.shot("2-display")

    for _ in range(2):
        till_server.call("POST", "/api/sim/scan", {"code": MILK})
    till_server.call("POST", "/api/sim/scan", {"code": "LC1001"})  # a loyalty card
    expect(display("saving").first).to_contain_text("Milk 3 for 2.50")
    expect(display("total")).to_have_text("£2.50")
    expect(display("display-customer")).to_have_text("Hello, Jo Bloggs")
    display.in_view("total")
    display.shot("3-display-savings")

    till_server.call("POST", "/api/sim/scan", {"code": UNKNOWN})
    expect(kiosk("banner-text")).to_contain_text(f"unknown barcode {UNKNOWN}")
    for test in ("banner-search", "total", "pay"):
        kiosk.in_view(test)
    kiosk.shot("4-unknown-barcode")
    for screen in (kiosk, display):
        assert screen.page.evaluate("window.loadedOnce") is True  # never reloaded


def test_search_and_weigh(kiosk):
    sign_in(kiosk, PINS["S01"])
    kiosk.page.keyboard.type(UNKNOWN)
    kiosk.page.keyboard.press("Enter")
    expect(kiosk("banner-text")).to_contain_text("unknown barcode")
    kiosk.shot("1-unknown")
    kiosk.tap("banner-search", "kb-A", "kb-P", "kb-P")
    expect(kiosk("search-result")).to_have_text("Apples loose£2.50/kg")
    kiosk.in_view("search-result")
    kiosk.shot("2-search")
    kiosk.tap("search-result")
    key_in(kiosk, "weight-pad", "1500")
    expect(kiosk("weight-pad-display")).to_have_text("1500 g")
    kiosk.shot("3-weigh")
    kiosk.tap("weight-enter")
    apples = line(kiosk, "APPLE")
    expect(apples.locator('[data-test="line-qty"]')).to_have_text("1.500 kg")
    expect(apples.locator('[data-test="line-amount"]')).to_have_text("£3.75")
    expect(apples.locator('[data-test="line-discount"]')).to_contain_text("10% off fruit")

    scan_into_code_box(kiosk, APPLE)  # a weighed product's own barcode asks for its weight
    expect(kiosk("weight-note")).to_contain_text("sold by weight")


def test_price_override_needs_a_supervisor_pin(kiosk):
    sign_in(kiosk, PINS["S01"])
    scan_into_code_box(kiosk, WINE)
    line(kiosk, "WINE").click()
    kiosk.tap("line-price")
    key_in(kiosk, "price-pad", "500")
    expect(kiosk("price-pad-display")).to_have_text("£5.00")
    kiosk.tap("price-enter")
    expect(kiosk("approval-note")).to_contain_text("needs a supervisor")
    kiosk.shot("1-approval")
    key_in(kiosk, "approval-pad", PINS["S01"])
    kiosk.tap("approval-enter")
    expect(kiosk("approval-note")).to_contain_text("Alice cannot approve")
    key_in(kiosk, "approval-pad", PINS["S02"])
    kiosk.tap("approval-enter")
    expect(line(kiosk, "WINE").locator('[data-test="line-amount"]')).to_have_text("£5.00")
    expect(line(kiosk, "WINE")).to_contain_text("price changed")
    kiosk.shot("2-overridden")


def test_park_resume_and_void(kiosk):
    sign_in(kiosk, PINS["S01"])
    scan_into_code_box(kiosk, BREAD)
    kiosk.tap("park")
    expect(kiosk("empty-basket")).to_be_visible()
    kiosk.tap("open-code-pad")
    key_in(kiosk, "code-pad", MILK)
    kiosk.tap("code-enter")
    expect(line(kiosk, "MILK")).to_be_visible()
    kiosk.tap("open-parked")
    kiosk.tap("parked-sale")
    expect(kiosk("banner-text")).to_contain_text("finish or park the current sale first")
    kiosk.tap("void-sale", "void-confirm")
    expect(kiosk("empty-basket")).to_be_visible()

    kiosk.tap("open-parked")
    expect(kiosk("parked-sale")).to_contain_text("£3.45")
    kiosk.shot("1-parked")
    kiosk.tap("parked-sale")
    expect(line(kiosk, "BREAD")).to_contain_text("Sourdough loaf")
    expect(kiosk("total")).to_have_text("£3.45")
    kiosk.tap("sign-out")
    expect(kiosk("screen-sign-in")).to_be_visible()
