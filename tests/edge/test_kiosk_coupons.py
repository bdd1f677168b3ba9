"""Coupons at the kiosk in real headless Chromium, at both screen sizes: a campaign code and a
plain code entered by the cashier, the discount they give (or not yet), and the refusals."""
import pytest
from playwright.sync_api import expect

from shared import coupons

from .browser import scan_into_code_box, sign_in
from .conftest import BREAD, MILK, PINS, WINE
from .test_coupons import OTHER_KEY, campaign_store, code


@pytest.fixture
def store_data():
    return campaign_store()


def coupon(kiosk, printed):
    return kiosk.page.locator('[data-test="coupon"]').filter(has_text=printed)


def enter_coupon(kiosk, typed):
    kiosk.tap("open-coupon")
    kiosk("coupon-input").fill(typed)
    kiosk.tap("coupon-add")


def test_coupons_at_the_kiosk(kiosk):
    spring = code(5)
    printed = coupons.display(spring)
    sign_in(kiosk, PINS["S01"])
    scan_into_code_box(kiosk, WINE)
    expect(kiosk("total")).to_have_text("£9.59")

    # A code of another campaign key: refused in the dialog, kept to be corrected.
    enter_coupon(kiosk, coupons.display(code(5, OTHER_KEY)))
    expect(kiosk("coupon-refusal")).to_contain_text("check it for a typing mistake")
    kiosk.shot("1-refused")
    kiosk("coupon-input").fill(printed.lower())
    kiosk.tap("coupon-add")
    expect(kiosk("coupon-dialog")).to_have_count(0)
    expect(coupon(kiosk, printed).locator('[data-test="coupon-state"]')).to_have_text(
        "-£1.60 · Spring: 20% off wine")
    expect(kiosk("total")).to_have_text("£7.67")  # 6.39 + 1.28 VAT

    # A plain code typed on the on-screen keyboard: its condition (10.00) is not met yet.
    kiosk.tap("open-coupon", "kb-W", "kb-E", "kb-L", "kb-C", "kb-O", "kb-M", "kb-E", "kb-1",
              "kb-0", "coupon-add")
    welcome = coupon(kiosk, "WELCOME10").locator('[data-test="coupon-state"]')
    expect(welcome).to_have_text("entered — no discount yet")
    kiosk.in_view("pay")
    kiosk.shot("2-not-yet")
    for item in (BREAD, MILK):
        scan_into_code_box(kiosk, item)
    expect(welcome).to_have_text("-£1.00 · Welcome: 1.00 off 10.00")
    kiosk.in_view("pay")
    kiosk.shot("3-both-giving")

    # Taken off again, and the sale paid by card.
    coupon(kiosk, "WELCOME10").locator('[data-test="coupon-remove"]').click()
    expect(kiosk("coupon")).to_have_count(1)
    kiosk.tap("pay", "tender-card")
    expect(kiosk("screen-complete")).to_be_visible()

    # The customer's code gave its discount once at this till.
    kiosk.tap("new-sale")
    scan_into_code_box(kiosk, WINE)
    enter_coupon(kiosk, printed)
    expect(kiosk("coupon-refusal")).to_have_text(
        f"{printed} was already used on sale T01-000001 at this till")
    kiosk.shot("4-used")
    kiosk.tap("dialog-cancel")
    expect(kiosk("coupon")).to_have_count(0)
