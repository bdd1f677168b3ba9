"""The kiosk's answers to payment trouble in real headless Chromium, at 800x480 and
1280x800: a card that times out is checked with a supervisor before the next card, a void
after payment is completed with the excess given back, and receipts that did not print are
counted and printed from the header.

Every key step saves a screenshot to tests/artifacts/screenshots/.
"""
from playwright.sync_api import expect

from .browser import key_in, line, scan_into_code_box, sign_in
from .conftest import MILK, PINS, WINE


def approve(kiosk, note):
    expect(kiosk("approval-note")).to_contain_text(note)
    key_in(kiosk, "approval-pad", PINS["S02"])
    kiosk.tap("approval-enter")


def test_card_timeout_then_give_back_after_a_void(kiosk, till_server):
    sign_in(kiosk, PINS["S01"])
    scan_into_code_box(kiosk, WINE)
    scan_into_code_box(kiosk, MILK)
    expect(kiosk("total")).to_have_text("£10.59")
    kiosk.tap("pay", "sim-toggle", "sim-card-timeout", "sim-toggle")
    key_in(kiosk, "tender-pad", "600")
    kiosk.tap("tender-card")
    expect(kiosk("banner-text")).to_contain_text("may have been charged")
    expect(kiosk("card-check-note")).to_contain_text("Card charge of £6.00")
    kiosk.shot("1-card-unknown")
    kiosk.in_view("card-check-no")
    kiosk.tap("card-check-no")
    approve(kiosk, "card check needs a supervisor")
    expect(kiosk("card-check")).to_be_hidden()

    kiosk.tap("tender-card")  # the keyed £6.00 again; approved this time
    expect(kiosk("amount-due")).to_have_text("£4.59")
    kiosk.tap("back-to-sale")
    line(kiosk, "WINE").click()
    kiosk.tap("line-void")
    approve(kiosk, "void after tender needs a supervisor")
    expect(line(kiosk, "WINE")).to_have_class("line voided")
    till_server.call("POST", "/api/sim/printer", {"paper_out": True})
    kiosk.tap("pay")
    expect(kiosk("tender-card")).to_be_hidden()
    expect(kiosk("settle")).to_have_text("Complete: give back £5.00")
    kiosk.shot("2-overpaid")
    kiosk.tap("settle")
    expect(kiosk("screen-complete")).to_be_visible()
    expect(kiosk("complete-info")).to_contain_text("Refund to")
    expect(kiosk("complete-info")).to_contain_text("-£5.00")
    expect(kiosk("receipts-pending")).to_have_text("Print 1 queued receipt")
    kiosk.shot("3-given-back")

    till_server.call("POST", "/api/sim/printer", {"paper_out": False})
    kiosk.tap("receipts-pending")
    expect(kiosk("banner-text")).to_have_text("1 queued receipt printed.")
    expect(kiosk("receipts-pending")).to_be_hidden()
