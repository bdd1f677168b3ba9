"""Campaign codes: made by the hub, checked by a till with only the campaign's key."""
import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared import coupons
from shared.coupons import CouponError
from shared.sale_pricing import engine_basket

KEY = "00112233445566778899aabbccddeeff"


@given(st.integers(1, coupons.MAX_SERIAL))
def test_every_code_reads_back_to_its_serial(serial):
    code = coupons.make_code("SPRING", KEY, serial)
    assert coupons.serial_of(code, KEY) == serial
    assert coupons.normalize(coupons.display(code)) == code


def test_codes_are_read_as_people_type_them():
    code = coupons.make_code("SPRING", KEY, 7)
    printed = coupons.display(code)
    assert printed.count("-") == 3
    typed = " " + printed.lower().replace("0", "o").replace("1", "l") + " "
    assert coupons.normalize(typed) == code
    assert coupons.serial_of(coupons.normalize(typed), KEY) == 7


def test_a_mistyped_or_forged_code_is_refused():
    code = coupons.make_code("SPRING", KEY, 42)
    prefix, body = coupons.split(code)
    for position in range(len(body)):
        other = coupons.ALPHABET[(coupons.ALPHABET.index(body[position]) + 1) % 32]
        typo = f"{prefix}-{body[:position]}{other}{body[position + 1:]}"
        with pytest.raises(CouponError, match="typing mistake"):
            coupons.serial_of(typo, KEY)
    with pytest.raises(CouponError, match="not a valid code"):
        coupons.serial_of(code, "ff" * 16)  # another campaign's key
    with pytest.raises(CouponError, match="not a campaign code"):
        coupons.serial_of("WELCOME10", KEY)


def test_plain_codes_stay_as_they_are_and_junk_is_refused_clearly():
    assert coupons.normalize(" welcome10 ") == "WELCOME10"
    assert coupons.split("WELCOME10") is None
    assert not coupons.is_campaign_shaped("WELCOME-10")
    with pytest.raises(CouponError, match="enter a coupon code"):
        coupons.normalize("   ")
    with pytest.raises(CouponError, match="at most 40"):
        coupons.normalize("X" * 41)


def test_prefixes_are_checked():
    assert coupons.check_prefix(" spring26 ") == "SPRING26"
    for bad in ("", "S", "2SPRING", "SPRING-26", "ABCDEFGHIJK"):
        with pytest.raises(CouponError, match="2 to 10 letters"):
            coupons.check_prefix(bad)


def test_a_campaign_code_switches_on_its_campaigns_promotion_in_the_engine_basket():
    code = coupons.make_code("SPRING", KEY, 3)
    basket = engine_basket([], False, [code, "WELCOME10"])
    assert basket["coupons"] == [code, "WELCOME10", "SPRING"]
    assert engine_basket([], False, None)["coupons"] == []
