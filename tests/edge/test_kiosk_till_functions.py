"""The kiosk's till functions in real headless Chromium, at 800x480 and 1280x800: the cash
session (float, paid in and out, no sale, X and Z reports), the receipt preview and returns.

Every key step saves a screenshot to tests/artifacts/screenshots/.
"""
import json

import pytest
from playwright.sync_api import expect

from .browser import count_cash, key_in, line, scan_into_code_box, sign_in
from .conftest import MILK, PINS, WINE, store

# Reasons for the drawer and for paid out; none for paid in, which is then typed.
REASONS = {"no_sale": ["Give change", "Check float"],
           "paid_out": ["Window cleaning", "Postage"]}


@pytest.fixture
def store_file(tmp_path):
    """The test store with reasons for cash movements."""
    path = tmp_path / "store.json"
    path.write_text(json.dumps({**store(), "reasons": REASONS}))
    return path


def till_menu(kiosk, item):
    kiosk.tap("till-menu")
    expect(kiosk("till-dialog")).to_be_visible()
    kiosk.tap(item)


def approve(kiosk, note, pin=PINS["S02"]):
    expect(kiosk("approval-note")).to_contain_text(note)
    key_in(kiosk, "approval-pad", pin)
    kiosk.tap("approval-enter")


def test_return_with_receipt(kiosk):
    sign_in(kiosk, PINS["S01"])
    for code in (MILK, MILK, WINE):
        scan_into_code_box(kiosk, code)
    expect(line(kiosk, "MILK").locator('[data-test="line-qty"]')).to_have_text("2 ×")
    expect(kiosk("total")).to_have_text("£11.59")
    kiosk.tap("pay", "tender-card")
    expect(kiosk("complete-info")).to_contain_text("Sale T01-000001")
    # "Sale T01-000001 · Total £11.59 · <card label> £11.59": the card the refund goes to
    card = kiosk("complete-info").inner_text().split(" · ")[2].removesuffix(" £11.59")
    kiosk.tap("receipt-preview")
    image = kiosk("receipt-image")
    expect(image).to_be_visible()
    assert image.evaluate("image => image.complete && image.naturalWidth > 0")
    kiosk.shot("1-receipt-preview")
    kiosk.tap("dialog-cancel", "new-sale")

    till_menu(kiosk, "menu-returns")
    expect(kiosk("screen-returns")).to_be_visible()
    for test in ("returns-code-input", "no-receipt", "returns-back", "refund-total"):
        kiosk.in_view(test)
    kiosk.shot("2-returns")
    # The receipt's barcode, as a scanner types it (a keyboard wedge) then Enter.
    kiosk.page.keyboard.type("TS-T01-1")
    kiosk.page.keyboard.press("Enter")
    expect(kiosk("returns-info")).to_contain_text("T01-000001")
    expect(kiosk("sale-ref")).to_have_text("Refund T01-000002")
    milk = kiosk.page.locator('[data-test="returnable-line"][data-sku="MILK"]')
    expect(kiosk("returnable-line")).to_have_count(2)
    expect(milk).to_contain_text("2 sold · £2.00")
    milk.locator('[data-test="returnable-plus"]').click()
    expect(milk.locator('[data-test="returnable-count"]')).to_have_text("1")
    milk.locator('[data-test="returnable-plus"]').click()
    expect(milk.locator('[data-test="returnable-count"]')).to_have_text("2")
    expect(milk.locator('[data-test="returnable-plus"]')).to_be_disabled()  # both sold
    milk.locator('[data-test="returnable-minus"]').click()
    expect(milk.locator('[data-test="returnable-count"]')).to_have_text("1")
    expect(kiosk("refund-total")).to_have_text("£1.00")
    expect(kiosk("refund-to-row")).to_have_text(f"To {card}£1.00")
    expect(line(kiosk, "MILK").locator('[data-test="line-qty"]')).to_have_text("1 ×")
    for test in ("refund", "refund-total", "cancel-return"):
        kiosk.in_view(test)
    expect(milk.locator('[data-test="returnable-plus"]')).to_be_in_viewport(ratio=1)
    kiosk.shot("3-return-chosen")

    kiosk.tap("refund")
    approve(kiosk, "refund needs a supervisor", PINS["S01"])
    approve(kiosk, "Alice cannot approve refund")
    expect(kiosk("complete-label")).to_have_text("Refunded")
    expect(kiosk("change-due")).to_have_text("£1.00")
    expect(kiosk("refund-payment")).to_have_count(1)
    refunded = kiosk("refund-payment")
    expect(refunded).to_have_attribute("data-type", "card")
    expect(refunded).to_have_text(f"To {card}£1.00")
    expect(kiosk("drawer-note")).to_be_hidden()  # nothing came out of the drawer
    kiosk.in_view("new-sale")
    kiosk.shot("4-refunded")

    kiosk.tap("new-sale")
    expect(kiosk("screen-sale")).to_be_visible()
    till_menu(kiosk, "menu-returns")
    kiosk("returns-code-input").fill("T01-000001")  # the sale number works too
    kiosk.tap("returns-code-submit")
    expect(milk).to_contain_text("1 returned before")
    expect(milk.locator('[data-test="returnable-count"]')).to_have_text("0")
    kiosk.tap("cancel-return", "cancel-return-confirm")
    expect(kiosk("returnable-line")).to_have_count(0)
    kiosk.tap("returns-back")
    expect(kiosk("screen-sale")).to_be_visible()


def test_z_report(kiosk):
    kiosk.tap(*(f"pin-key-{digit}" for digit in PINS["S01"]), "sign-in")
    expect(kiosk("screen-open-till")).to_be_visible()
    count_cash(kiosk, "open-count", {2000: 2, 500: 3, 10: 5})
    expect(kiosk("open-count-total")).to_have_text("£55.50")
    expect(kiosk("open-count-500-sum")).to_have_text("£15.00")
    kiosk.tap("open-till")
    expect(kiosk("session-info")).to_have_text("Session 1")

    scan_into_code_box(kiosk, MILK)
    kiosk.tap("pay", "quick-exact")  # £1.00 cash
    expect(kiosk("change-due")).to_have_text("£0.00")
    kiosk.tap("new-sale")

    till_menu(kiosk, "menu-paid-out")
    key_in(kiosk, "paid-out-pad", "500")
    kiosk.tap("paid-out-enter")
    kiosk.page.locator('[data-test="reason-option"][data-reason="Postage"]').click()
    expect(kiosk("banner-text")).to_contain_text("Paid out £5.00 (Postage)")

    till_menu(kiosk, "menu-close-till")
    expect(kiosk("screen-close-till")).to_be_visible()
    count_cash(kiosk, "close-count", {2000: 2, 500: 2, 50: 1})  # £50.50: £1.00 short
    expect(kiosk("close-count-total")).to_have_text("£50.50")
    kiosk.in_view("close-till")
    kiosk.shot("1-count")
    kiosk.tap("close-till")
    expect(kiosk("close-dialog")).to_contain_text("£50.50 counted")
    kiosk.tap("close-confirm")
    expect(kiosk("report-title")).to_have_text("Z report 1")
    expect(kiosk("report-expected")).to_have_text("Expected£51.50")  # 55.50 + 1.00 - 5.00
    expect(kiosk("report-counted")).to_have_text("Counted£50.50")
    short = kiosk("report-over-short")
    expect(short).to_have_text("Short-£1.00")
    expect(short).to_have_class("over-short short")
    expect(kiosk("report-tender-cash")).to_contain_text("£1.00")
    expect(kiosk("report-paid-out")).to_contain_text("-£5.00")
    for test in ("report-over-short", "report-done"):
        kiosk.in_view(test)
    kiosk.shot("2-z-report")

    kiosk.tap("report-done")
    expect(kiosk("screen-open-till")).to_be_visible()
    expect(kiosk("open-note")).to_contain_text("Session 2")
    expect(kiosk("open-count-total")).to_have_text("£0.00")
    kiosk.shot("3-next-session")
    kiosk.tap("open-till")
    expect(kiosk("session-info")).to_have_text("Session 2")


def test_till_menu_cash_and_receipts(kiosk):
    sign_in(kiosk, PINS["S01"])
    till_menu(kiosk, "menu-receipt-preview")
    expect(kiosk("banner-text")).to_contain_text("no completed sale yet")

    kiosk.tap("till-menu")
    for test in ("menu-x-report", "menu-close-till", "dialog-cancel"):
        kiosk.in_view(test)
    kiosk.shot("1-menu")
    kiosk.tap("menu-no-sale")
    kiosk.page.locator('[data-test="reason-option"][data-reason="Give change"]').click()
    approve(kiosk, "no sale needs a supervisor")
    expect(kiosk("banner-text")).to_contain_text("Drawer opened, no sale (Give change)")

    till_menu(kiosk, "menu-paid-in")
    key_in(kiosk, "paid-in-pad", "2000")
    kiosk.tap("paid-in-enter")
    kiosk.tap("kb-B", "kb-A", "kb-N", "kb-K", "reason-enter")  # no store reasons: typed
    expect(kiosk("banner-text")).to_contain_text("Paid in £20.00 (BANK)")

    till_menu(kiosk, "menu-x-report")
    expect(kiosk("report-title")).to_have_text("X report")
    expect(kiosk("report-expected")).to_have_text("Expected£20.00")
    expect(kiosk("report-body")).to_contain_text("No sales1")
    kiosk.in_view("report-done")
    kiosk.shot("2-x-report")
    kiosk.tap("report-done")
    expect(kiosk("screen-sale")).to_be_visible()

    # A return without receipt: approved, the item scanned, refunded in cash.
    till_menu(kiosk, "menu-returns")
    kiosk.tap("no-receipt")
    approve(kiosk, "refund without receipt needs a supervisor")
    expect(kiosk("returns-info")).to_contain_text("without a receipt")
    kiosk("returns-code-input").fill(MILK)
    kiosk.tap("returns-code-submit")
    expect(line(kiosk, "MILK")).to_contain_text("Milk 2L")
    expect(kiosk("refund-to-row")).to_have_text("Cash from the drawer£1.00")
    kiosk.shot("3-no-receipt")
    kiosk.tap("refund")
    expect(kiosk("drawer-dialog")).to_be_visible()  # still open from the paid in
    kiosk.tap("drawer-sim-close")
    approve(kiosk, "refund needs a supervisor")
    expect(kiosk("refund-payment")).to_have_text("Cash from the drawer£1.00")
    expect(kiosk("drawer-note")).to_have_text("Give the customer £1.00 and close the cash drawer.")
    kiosk.shot("4-cash-refunded")
    kiosk.tap("new-sale")

    scan_into_code_box(kiosk, MILK)  # a sale in progress: no returns, no closing
    expect(kiosk("pay")).to_be_enabled()  # the menu is drawn from the sale shown
    kiosk.tap("till-menu")
    expect(kiosk("menu-returns")).to_be_disabled()
    expect(kiosk("menu-close-till")).to_be_disabled()
