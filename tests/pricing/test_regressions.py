"""Baskets that once broke the engine, kept so they never break it again."""
import pytest

import shared.pricing
from shared.pricing import pure
from tests.pricing.test_properties import best_item_discount
from tests.pricing.watchdog import guarded

ENGINES = [pytest.param(shared.pricing, id="compiled"), pytest.param(pure, id="pure")]

# A mix_match enumerated at a search depth where a buy_x_get_y cursor had left a reward
# part behind: the stale part was taken with the mix bundle, the memo went wrong, and the
# reconstruction of the optimum looped forever (reference workload, seed 1, basket 350).
STALE_REWARD_PART = {
    "tax_mode": "exclusive", "tax_rounding": "total", "rounding": "half_even",
    "tax_classes": {"std": [{"id": "state", "rate": "6.25"}, {"id": "city", "rate": "2.375"}]},
    "customer": None, "coupons": [],
    "lines": [
        {"line": 1, "sku": "SKU01323", "unit_price": 408, "tax_class": "std", "qty": 4},
        {"line": 2, "sku": "SKU00517", "unit_price": 6859, "tax_class": "std", "qty": 4},
        {"line": 3, "sku": "SKU00883", "unit_price": 170, "tax_class": "std", "qty": 2},
    ],
    "promotions": [
        {"id": "PR019", "type": "mix_match", "skus": ["SKU00883", "SKU00517"], "qty": 2,
         "price": 4638},
        {"id": "PR031", "type": "buy_x_get_y", "skus": ["SKU00517", "SKU01323"], "buy": 2,
         "get": 1, "percent": "50"},
    ],
}


@pytest.mark.parametrize("engine", ENGINES)
def test_mix_after_buy_x_get_y_cursor(engine):
    """Two 6859+6859 mix bundles (9080 each) and 408+408 get 408 at 50% (204)."""
    result = guarded(engine.price_basket, STALE_REWARD_PART)
    assert result["item_discount"] == best_item_discount(STALE_REWARD_PART) == 18364
    assert result["applied"] == [
        {"promotion": "PR019", "times": 2, "discount": 18160},
        {"promotion": "PR031", "times": 1, "discount": 204},
    ]
    assert result["optimal"] is True
