"""Hypothesis strategies for valid pricing requests (see ../shared/specs/pricing.md).

`requests()` draws realistic baskets: a small per-request catalog (so SKUs repeat across
lines with the same price and tags), prices in a range where promotions actually trigger,
every promotion type with member/coupon gating, both tax modes and roundings, cash rounding
and tax classes of 0-3 rates. `small_requests()` keeps the basket to at most 10 units, for
the brute-force best-deal check; `large_requests()` pushes amounts to the contract's limits.
"""
from functools import cache

from hypothesis import strategies as st

SKUS = ("A", "B", "C", "D", "E", "F")
TAGS = ("dairy", "bakery", "fruit")
COUPONS = ("SAVE10", "WELCOME5")
CLASS_NAMES = ("std", "food", "zero", "lux")
RATE_IDS = ("state", "city", "county", "vat")
# Ids chosen so that string order ("P10" < "P2") is exercised.
PROMOTION_IDS = ("P1", "P2", "P10", "B", "M3", "T", "X9")

LIMIT = 10**10  # every input amount is at most this
MAX_WEIGHT_G = 10**6
MAX_QTY = 9999

COMMON_PERCENTS = ("0", "5", "10", "12.5", "20", "25", "33.3333", "50", "100", "8.875", "6.25")

# The composites below draw from strategies built once (cached by their arguments), not anew
# on every draw: hypothesis validates each new strategy object, and that took most of the
# property tests' time. A strategy built once draws exactly what a fresh one would.


@cache
def _integers(low, high):
    return st.integers(low, high)


@cache
def _sampled(values):
    return st.sampled_from(values)


@cache
def _subsets(pool, max_size, min_size=0):
    """Lists of distinct elements of ``pool``."""
    return st.lists(st.sampled_from(pool), min_size=min_size, max_size=max_size, unique=True)


@cache
def _one_of(*strategies):
    return st.one_of(*strategies)


@cache
def _line_numbers(count):
    """``count`` distinct line numbers."""
    return st.lists(st.integers(1, 10**6), min_size=count, max_size=count, unique=True)


_BOOLEANS = st.booleans()
_INCREMENTS = st.one_of(st.none(), st.integers(1, 10), st.sampled_from((1, 5, 10)))
_CUSTOMERS = st.sampled_from(("absent", None, {"member": True}, {"member": False},
                              {"member": True}))
_COUPON_LISTS = st.one_of(st.none(), st.lists(st.sampled_from(COUPONS + ("BOGUS",)),
                                              max_size=2, unique=True))


def _format_percent(ten_thousandths, padding):
    """Format n/10000 percent as a decimal string with at most 4 decimals, optionally padded
    with trailing zeros ("12.50")."""
    whole, frac = divmod(ten_thousandths, 10_000)
    digits = f"{frac:04d}".rstrip("0")
    width = min(4, len(digits) + padding)
    digits = digits.ljust(width, "0")
    return f"{whole}.{digits}" if digits else str(whole)


@cache
def percents():
    """Percent strings "0".."100" with up to 4 decimals, biased to everyday values."""
    anything = st.builds(
        _format_percent, st.integers(0, 1_000_000), st.sampled_from((0, 0, 0, 0, 1, 2))
    )
    return st.one_of(st.sampled_from(COMMON_PERCENTS), st.integers(1, 100).map(str), anything)


@cache
def realistic_prices():
    """Unit prices in cents, mostly in a range where promotions below trigger."""
    return st.one_of(
        st.sampled_from((0, 1, 99, 100, 149, 179, 199, 250, 300, 333, 499, 500, 999)),
        st.integers(0, 2500),
    )


@cache
def huge_amounts():
    """Amounts up to the 10^10 limit, biased to the extremes."""
    return st.one_of(
        st.sampled_from((0, 1, LIMIT, LIMIT - 1, 9_999_999_999, 3_333_333_333)),
        st.integers(0, LIMIT),
    )


@cache
@st.composite
def tax_classes(draw):
    """1-4 tax classes, each a list of 0-3 rates; rate ids unique within a class and
    possibly repeated across classes."""
    names = draw(_subsets(CLASS_NAMES, 4, min_size=1))
    classes = {}
    for name in names:
        ids = draw(_subsets(RATE_IDS, 3))
        classes[name] = [{"id": rate_id, "rate": draw(percents())} for rate_id in ids]
    return classes


@cache
@st.composite
def _selector(draw, present=()):
    """A unit selector: a non-empty list of skus and/or tags (absent keys, never []).
    SKUs in `present` (those in the basket) are picked more often."""
    pool = tuple(present) * 2 + SKUS
    skus = draw(_subsets(pool, 3))
    tags = draw(_subsets(TAGS, 2))
    if not skus and not tags:
        skus = [draw(_sampled(pool))]
    selector = {}
    if skus:
        selector["skus"] = skus
    if tags:
        selector["tags"] = tags
    return selector


@cache
@st.composite
def _reward_selector(draw, own):
    """reward_skus / reward_tags for a buy_x_get_y. A reward key is left out only when the
    promotion has no selector of that kind, so "defaulting to the promotion's own selector"
    has one reading. ``own`` is the promotion's selector keys."""
    reward = {}
    kinds = (("skus", "reward_skus", SKUS, 3), ("tags", "reward_tags", TAGS, 2))
    for own_key, key, pool, size in kinds:
        if own_key in own or draw(_BOOLEANS):
            reward[key] = draw(_subsets(pool, size, min_size=1))
    return reward


@st.composite
def _gating(draw):
    """Optional member_only and coupon flags."""
    flags = {}
    member_only = draw(_sampled((None, None, None, None, False, True)))
    if member_only is not None:
        flags["member_only"] = member_only
    coupon = draw(_sampled((None,) * 6 + COUPONS))
    if coupon is not None:
        flags["coupon"] = coupon
    return flags


_GATING = _gating()


@cache
@st.composite
def promotion(draw, promo_id, amounts, present=()):
    """One promotion of any type; `present` are the basket's SKUs (a tuple)."""
    kind = draw(_sampled(("percent_off", "mix_match", "buy_x_get_y", "threshold")))
    promo = {"id": promo_id, "type": kind}
    if kind == "percent_off":
        promo.update(draw(_selector(present)))
        promo["percent"] = draw(percents())
    elif kind == "mix_match":
        promo.update(draw(_selector(present)))
        promo["qty"] = draw(_integers(2, 4))
        promo["price"] = draw(_one_of(_integers(0, 1000), amounts))
    elif kind == "buy_x_get_y":
        own = draw(_selector(present))
        promo.update(own)
        promo["buy"] = draw(_integers(1, 3))
        promo["get"] = draw(_integers(1, 2))
        promo["percent"] = draw(_one_of(_sampled(("50", "100")), percents()))
        if draw(_BOOLEANS):
            promo.update(draw(_reward_selector(frozenset(own))))
    else:
        promo["min_subtotal"] = draw(amounts)
        if draw(_BOOLEANS):
            promo["amount_off"] = draw(amounts)
        else:
            promo["percent"] = draw(percents())
    promo.update(draw(_GATING))
    return promo


@cache
@st.composite
def _catalog_item(draw, prices):
    item = {"unit_price": draw(prices)}
    if draw(_integers(0, 3)) == 0:
        item["member_price"] = draw(prices)
    tags = draw(_subsets(TAGS, 2))
    if tags or draw(_BOOLEANS):
        item["tags"] = tags
    return item


@st.composite
def requests(draw, max_lines=8, max_qty=6, max_weight_g=3000, prices=None, amounts=None,
             max_promotions=5, max_units=None, min_lines=0, min_promotions=0):
    """A valid request covering every feature of the contract.

    `max_units` caps the basket at that many units (a qty line counts qty, a weighed line 1).
    """
    prices = prices if prices is not None else realistic_prices()
    amounts = amounts if amounts is not None else _one_of(realistic_prices(),
                                                           _integers(0, 5000))
    classes = draw(tax_classes())
    class_names = sorted(classes)
    catalog = {sku: draw(_catalog_item(prices)) for sku in SKUS}

    n_lines = draw(_integers(min_lines, max_lines))
    numbers = draw(_line_numbers(n_lines))
    lines, units = [], 0
    for number in numbers:
        sku = draw(_sampled(SKUS))
        item = dict(catalog[sku]) if draw(_integers(0, 4)) else draw(_catalog_item(prices))
        line = {"line": number, "sku": sku, "unit_price": item["unit_price"],
                "tax_class": draw(_sampled(tuple(class_names)))}
        if draw(_integers(0, 6)) == 0:
            line["weight_g"] = draw(_integers(1, max_weight_g))
            count = 1
        else:
            line["qty"] = draw(_one_of(_integers(1, min(3, max_qty)), _integers(1, max_qty)))
            count = line["qty"]
        if max_units is not None:
            room = max_units - units
            if room <= 0:
                break
            if "qty" in line and line["qty"] > room:
                line["qty"] = count = room
        units += count
        for key in ("member_price", "tags"):
            if key in item:
                line[key] = item[key]
        if draw(_integers(0, 9)) == 0:
            line["note"] = "unknown fields are ignored"
        lines.append(line)

    ids = draw(_subsets(PROMOTION_IDS, max_promotions, min_size=min_promotions))
    present = tuple(sorted({line["sku"] for line in lines}))
    promotions = [draw(promotion(promo_id, amounts, present)) for promo_id in ids]

    request = {
        "tax_mode": draw(_sampled(("exclusive", "inclusive"))),
        "tax_rounding": draw(_sampled(("line", "total"))),
        "tax_classes": classes,
        "lines": lines,
    }
    rounding = draw(_sampled((None, "half_up", "half_even", "half_even")))
    if rounding is not None:
        request["rounding"] = rounding
    increment = draw(_INCREMENTS)
    if increment is not None:
        request["cash_increment"] = increment
    customer = draw(_CUSTOMERS)
    if customer != "absent":
        request["customer"] = customer and dict(customer)  # not one dict for every request
    coupons = draw(_COUPON_LISTS)
    if coupons is not None:
        request["coupons"] = coupons
    if promotions or draw(_BOOLEANS):
        request["promotions"] = promotions
    if draw(_integers(0, 9)) == 0:
        request["store"] = {"unknown": "fields are ignored"}
    return request


def small_requests():
    """Valid requests of at most 10 units: small enough to brute-force the best deal."""
    return requests(max_lines=6, max_qty=5, max_units=10, min_lines=1, min_promotions=2)


def large_requests():
    """Valid requests with amounts near the limits (prices up to 10^10, qty up to 9999,
    weight_g up to 10^6): exact arithmetic far past 64 bits."""
    return requests(
        max_lines=4,
        max_qty=MAX_QTY,
        max_weight_g=MAX_WEIGHT_G,
        prices=huge_amounts(),
        amounts=huge_amounts(),
        max_promotions=3,
    )


CONFIG_KEYS = ("tax_mode", "tax_rounding", "rounding", "cash_increment", "tax_classes",
               "promotions")
BASKET_KEYS = ("customer", "coupons", "lines")


def split_request(request):
    """The store-wide part (for Engine) and the basket part (for engine.price)."""
    config = {k: v for k, v in request.items() if k in CONFIG_KEYS}
    basket = {k: v for k, v in request.items() if k in BASKET_KEYS}
    return config, basket
