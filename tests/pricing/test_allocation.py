"""Hand-computed cases for how discounts land on lines (spec steps 3, 5 and 6), where the
best deal is unique so the exact cents per line are known."""
import pytest

import shared.pricing as compiled
from shared.pricing import pure

ENGINES = pytest.mark.parametrize("module", [compiled, pure], ids=["compiled", "pure"])


def request(lines, promotions, **extra):
    numbered = [{"line": n, "tax_class": "none", **line} for n, line in enumerate(lines, 1)]
    return {"tax_mode": "exclusive", "tax_rounding": "line", "tax_classes": {"none": []},
            "lines": numbered, "promotions": promotions, **extra}


def discounts(result, promotion):
    """Each line's discount from `promotion`, in line order (0 when none)."""
    return [sum(d["amount"] for d in line["discounts"] if d["promotion"] == promotion)
            for line in result["lines"]]


@ENGINES
def test_mix_match_leftover_cents_go_to_earlier_lines(module):
    """3 x 100 for 298: 2 cents over three equal lines; each share is 0.667, so the leftover
    cents go to the two earliest lines."""
    result = module.price_basket(request(
        [{"sku": s, "unit_price": 100, "qty": 1} for s in "ABC"],
        [{"id": "M", "type": "mix_match", "skus": ["A", "B", "C"], "qty": 3, "price": 298}],
    ))
    assert discounts(result, "M") == [1, 1, 0]


@ENGINES
def test_mix_match_shares_are_per_line(module):
    """Shares are per line, weighted by the prices of its units in the bundle: A (2 units,
    weight 200) gets 1.333 -> 1, B (weight 100) 0.667 -> 0 + the leftover cent."""
    result = module.price_basket(request(
        [{"sku": "A", "unit_price": 100, "qty": 2}, {"sku": "B", "unit_price": 100, "qty": 1}],
        [{"id": "M", "type": "mix_match", "skus": ["A", "B"], "qty": 3, "price": 298}],
    ))
    assert discounts(result, "M") == [1, 1]


@ENGINES
def test_buy_x_get_y_discount_sits_on_reward_units(module):
    """Buy X (500), get Y (301) and Z (299) half off: 300 off, carried by Y and Z only:
    150.5 and 149.5, the tie on remainders going to the earlier line."""
    result = module.price_basket(request(
        [{"sku": "X", "unit_price": 500, "qty": 1}, {"sku": "Y", "unit_price": 301, "qty": 1},
         {"sku": "Z", "unit_price": 299, "qty": 1}],
        [{"id": "B", "type": "buy_x_get_y", "skus": ["X"], "buy": 1, "get": 2, "percent": "50",
          "reward_skus": ["Y", "Z"]}],
    ))
    assert discounts(result, "B") == [0, 151, 149]
    assert result["applied"] == [{"promotion": "B", "times": 1, "discount": 300}]


@ENGINES
def test_reward_may_not_cost_more_than_cheapest_bought_unit(module):
    """Buy 1 get 1 free on A (300) and B (301): B cannot be A's reward and A alone cannot
    be bought and rewarded, but B bought with A as reward works: 300 off A."""
    result = module.price_basket(request(
        [{"sku": "A", "unit_price": 300, "qty": 1}, {"sku": "B", "unit_price": 301, "qty": 1}],
        [{"id": "G", "type": "buy_x_get_y", "skus": ["A", "B"], "buy": 1, "get": 1,
          "percent": "100"}],
    ))
    assert discounts(result, "G") == [300, 0]


@ENGINES
def test_reward_selector_limits_rewards(module):
    """With reward_skus ["R"], a cheaper unit of the bought sku is not a reward."""
    result = module.price_basket(request(
        [{"sku": "A", "unit_price": 500, "qty": 2}, {"sku": "R", "unit_price": 600, "qty": 1}],
        [{"id": "G", "type": "buy_x_get_y", "skus": ["A"], "buy": 1, "get": 1,
          "percent": "100", "reward_skus": ["R"]}],
    ))
    assert result["item_discount"] == 0


@ENGINES
def test_weighed_line_takes_percent_off_only(module):
    """A weighed line is one unit priced at its base, eligible for percent_off only: here
    it cannot join the 2-for-1 mix_match, so the qty line alone cannot form a bundle."""
    result = module.price_basket(request(
        [{"sku": "A", "unit_price": 2000, "weight_g": 500}, {"sku": "A", "unit_price": 1000,
                                                              "qty": 1}],
        [{"id": "M", "type": "mix_match", "skus": ["A"], "qty": 2, "price": 1},
         {"id": "P", "type": "percent_off", "skus": ["A"], "percent": "10"}],
    ))
    assert discounts(result, "M") == [0, 0]
    assert discounts(result, "P") == [100, 100]


@ENGINES
def test_basket_discount_leftover_to_earlier_lines(module):
    """100 off three lines of 100: 33.33 each -> 33, and the leftover cent to line 1."""
    result = module.price_basket(request(
        [{"sku": s, "unit_price": 100, "qty": 1} for s in "ABC"],
        [{"id": "T", "type": "threshold", "min_subtotal": 300, "amount_off": 100}],
    ))
    assert discounts(result, "T") == [34, 33, 33]
    assert result["basket_promotion"] == "T" and result["basket_discount"] == 100


@ENGINES
def test_basket_discount_follows_amounts_after_item_discounts(module):
    """Threshold on S = bases - item discounts, allocated by each line's amount after item
    discounts (A: 1000 - 500 = 500, B: 1500), capped at S for amount_off."""
    result = module.price_basket(request(
        [{"sku": "A", "unit_price": 1000, "qty": 1}, {"sku": "B", "unit_price": 1500, "qty": 1}],
        [{"id": "P", "type": "percent_off", "skus": ["A"], "percent": "50"},
         {"id": "T1", "type": "threshold", "min_subtotal": 2001, "amount_off": 5000},
         {"id": "T2", "type": "threshold", "min_subtotal": 2000, "amount_off": 1000}],
    ))
    assert result["item_discount"] == 500
    assert result["basket_promotion"] == "T2"
    assert discounts(result, "T2") == [250, 750]


@ENGINES
def test_threshold_ties_go_to_smallest_id(module):
    """Two thresholds giving the same discount: the smaller id applies."""
    result = module.price_basket(request(
        [{"sku": "A", "unit_price": 1000, "qty": 1}],
        [{"id": "Z", "type": "threshold", "min_subtotal": 0, "amount_off": 100},
         {"id": "Y", "type": "threshold", "min_subtotal": 0, "percent": "10"}],
    ))
    assert result["basket_promotion"] == "Y"
    assert result["applied"] == [{"promotion": "Y", "times": 1, "discount": 100}]


@ENGINES
def test_gated_promotions(module):
    """member_only needs a member customer; coupon needs its code among the coupons."""
    lines = [{"sku": "A", "unit_price": 1000, "qty": 1}]
    promos = [{"id": "M", "type": "percent_off", "skus": ["A"], "percent": "10",
               "member_only": True},
              {"id": "C", "type": "threshold", "min_subtotal": 0, "amount_off": 50,
               "coupon": "SAVE"}]
    plain = module.price_basket(request(lines, promos, customer={"member": False},
                                        coupons=["OTHER"]))
    assert plain["applied"] == []
    both = module.price_basket(request(lines, promos, customer={"member": True},
                                       coupons=["SAVE"]))
    assert [a["promotion"] for a in both["applied"]] == ["C", "M"]
    assert both["item_discount"] == 100 and both["basket_discount"] == 50
