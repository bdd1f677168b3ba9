"""Exact money arithmetic past 64 bits: hand-built requests at the contract's limits whose
expected amounts are computed here with Fractions."""
from fractions import Fraction

import pytest

import shared.pricing as compiled
from shared.pricing import pure
from tests.pricing.spec_math import R, largest_remainder

LIMIT = 10**10
ENGINES = pytest.mark.parametrize("module", [compiled, pure], ids=["compiled", "pure"])

TAX_CLASSES = {
    "nyc": [{"id": "ny", "rate": "8.875"}],
    "std": [{"id": "state", "rate": "6.25"}, {"id": "city", "rate": "2.375"}],
}


def limit_request(tax_mode, tax_rounding, rounding):
    return {
        "tax_mode": tax_mode, "tax_rounding": tax_rounding, "rounding": rounding,
        "cash_increment": 5,
        "tax_classes": TAX_CLASSES,
        "customer": {"member": True},
        "lines": [
            {"line": 1, "sku": "TV", "unit_price": LIMIT, "tax_class": "nyc", "qty": 9999},
            # 9_999_999_999 per kg x 999.5 kg = 9_994_999_999_000.5: a rounding tie
            {"line": 2, "sku": "GOLD", "unit_price": LIMIT - 1, "tax_class": "std",
             "weight_g": 999_500},
            {"line": 3, "sku": "CAR", "unit_price": LIMIT, "member_price": LIMIT - 1,
             "tax_class": "std", "qty": 9999},
            {"line": 4, "sku": "BAR", "unit_price": LIMIT, "tax_class": "std",
             "weight_g": 10**6},
        ],
        "promotions": [
            {"id": "G", "type": "percent_off", "skus": ["GOLD"], "percent": "33.3333"},
            {"id": "T", "type": "threshold", "min_subtotal": LIMIT, "percent": "12.3456"},
            {"id": "U", "type": "threshold", "min_subtotal": LIMIT, "amount_off": LIMIT},
        ],
    }


def expected_amounts(tax_mode, tax_rounding, rounding):
    """The contract's arithmetic for limit_request, step by step, in Fractions."""
    bases = [
        LIMIT * 9999,
        R(Fraction((LIMIT - 1) * 999_500, 1000), rounding),
        (LIMIT - 1) * 9999,  # member price
        R(Fraction(LIMIT * 10**6, 1000), rounding),
    ]
    gold_off = R(bases[1] * Fraction("33.3333") / 100, rounding)
    after_items = [bases[0], bases[1] - gold_off, bases[2], bases[3]]
    s = sum(after_items)
    basket_off = R(s * Fraction("12.3456") / 100, rounding)  # beats amount_off 10^10
    shares = largest_remainder(basket_off, after_items)
    nets = [a - b for a, b in zip(after_items, shares, strict=True)]

    def tax(amount, rate, rates_sum):
        if tax_mode == "exclusive":
            return R(amount * Fraction(rate) / 100, rounding)
        return R(amount * Fraction(rate) / (100 + rates_sum), rounding)

    std_sum = Fraction("6.25") + Fraction("2.375")
    if tax_rounding == "line":
        ny = tax(nets[0], "8.875", Fraction("8.875"))
        state = sum(tax(n, "6.25", std_sum) for n in nets[1:])
        city = sum(tax(n, "2.375", std_sum) for n in nets[1:])
    else:
        ny = tax(nets[0], "8.875", Fraction("8.875"))
        state = tax(sum(nets[1:]), "6.25", std_sum)
        city = tax(sum(nets[1:]), "2.375", std_sum)
    tax_total = ny + state + city
    total = sum(nets) + (tax_total if tax_mode == "exclusive" else 0)
    return {
        "bases": bases, "gold_off": gold_off, "basket_off": basket_off, "shares": shares,
        "nets": nets, "taxes": [{"id": "city", "amount": city}, {"id": "ny", "amount": ny},
                                {"id": "state", "amount": state}],
        "tax_total": tax_total, "total": total, "cash_total": R(Fraction(total, 5)) * 5,
    }


@ENGINES
@pytest.mark.parametrize("tax_mode", ["exclusive", "inclusive"])
@pytest.mark.parametrize("tax_rounding", ["line", "total"])
@pytest.mark.parametrize("rounding", ["half_up", "half_even"])
def test_amounts_at_the_limits(module, tax_mode, tax_rounding, rounding):
    """Bases near 10^14, a basket near 3 x 10^14, rates with 3-4 decimals: every amount is
    exact (a float or 64-bit fixed-point engine gets some of these wrong)."""
    result = module.price_basket(limit_request(tax_mode, tax_rounding, rounding))
    want = expected_amounts(tax_mode, tax_rounding, rounding)
    assert [out["base"] for out in result["lines"]] == want["bases"]
    assert result["item_discount"] == want["gold_off"]
    assert result["basket_promotion"] == "T"
    assert result["basket_discount"] == want["basket_off"]
    basket_shares = [sum(d["amount"] for d in out["discounts"] if d["promotion"] == "T")
                     for out in result["lines"]]
    assert basket_shares == want["shares"]
    assert [out["net"] for out in result["lines"]] == want["nets"]
    assert result["taxes"] == want["taxes"]
    assert result["tax_total"] == want["tax_total"]
    assert result["total"] == want["total"]
    assert result["cash_total"] == want["cash_total"]


def test_weighed_tie_rounds_by_mode():
    """The 999.5 kg line's base is exactly x.5: half_up and half_even differ by one cent."""
    up = compiled.price_basket(limit_request("exclusive", "line", "half_up"))
    even = compiled.price_basket(limit_request("exclusive", "line", "half_even"))
    assert up["lines"][1]["base"] == 9_994_999_999_001
    assert even["lines"][1]["base"] == 9_994_999_999_000


@ENGINES
def test_thousand_lines_at_the_limit(module):
    """1000 lines of 9999 x 10^10: a basket near 10^17, taxed once at 8.875% (total mode);
    the tax product is far past 2^64."""
    lines = [{"line": n, "sku": f"S{n}", "unit_price": LIMIT - n, "tax_class": "nyc",
              "qty": 9999} for n in range(1, 1001)]
    request = {"tax_mode": "exclusive", "tax_rounding": "total", "rounding": "half_even",
               "tax_classes": TAX_CLASSES, "lines": lines}
    result = module.price_basket(request)
    subtotal = sum((LIMIT - n) * 9999 for n in range(1, 1001))
    tax = R(subtotal * Fraction("8.875") / 100, "half_even")
    assert result["subtotal"] == subtotal
    assert result["taxes"] == [{"id": "ny", "amount": tax}]
    assert result["total"] == result["cash_total"] == subtotal + tax
