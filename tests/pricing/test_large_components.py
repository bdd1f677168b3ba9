"""Components too big to search to the end: bounded work, valid results, honest flags.

The randomized tests use small baskets, which are always searched exhaustively; these
cases reach the greedy fallback and the closed form for a lone mix_match.
"""
import json

import shared.pricing
from bench.workload import store_wide
from shared.pricing import pure
from tests.pricing.test_properties import check_result
from tests.pricing.watchdog import guarded


def test_search_budget_falls_back_to_greedy():
    """40 units under three overlapping promotions exceed the search budget: the greedy
    answer is a valid pricing, flagged not optimal, identical compiled and interpreted."""
    request = store_wide(20, 2)
    compiled = guarded(shared.pricing.price_basket, request)
    interpreted = guarded(pure.price_basket, request)
    assert json.dumps(compiled) == json.dumps(interpreted)
    assert compiled["optimal"] is False
    assert compiled["item_discount"] > 0
    check_result(request, compiled)


def test_thousand_lines_under_store_wide_promotions():
    """The largest basket the contract allows, all in one component, is still priced."""
    request = store_wide(1000, 1)
    result = guarded(shared.pricing.price_basket, request)
    assert result["optimal"] is False
    check_result(request, result)


def test_lone_mix_match_is_exact_at_any_size():
    """9,000 units, "3 for 2.00" and 10% off: every unit is in a bundle (gain 270 - 200 -
    30 > 0 each), so the discount is 3,000 bundles x 100, proven optimal."""
    request = {
        "tax_mode": "inclusive", "tax_rounding": "total",
        "tax_classes": {"t": [{"id": "vat", "rate": "21"}]},
        "lines": [{"line": n, "sku": f"S{n}", "unit_price": 100, "tax_class": "t", "qty": 9,
                   "tags": ["all"]} for n in range(1000)],
        "promotions": [
            {"id": "M", "type": "mix_match", "tags": ["all"], "qty": 3, "price": 200},
            {"id": "P", "type": "percent_off", "tags": ["all"], "percent": "10"},
        ],
    }
    result = guarded(shared.pricing.price_basket, request)
    assert result["optimal"] is True
    assert result["applied"] == [{"promotion": "M", "times": 3000, "discount": 300_000}]
    check_result(request, result)
