"""Hypothesis strategies for valid pricing requests (see ../shared/specs/pricing.md).

`requests()` draws realistic baskets: a small per-request catalog (so SKUs repeat across
lines with the same price and tags), prices in a range where promotions actually trigger,
every promotion type with member/coupon gating, both tax modes and roundings, cash rounding
and tax classes of 0-3 rates. `small_requests()` keeps the basket to at most 10 units, for
the brute-force best-deal check; `large_requests()` pushes amounts to the contract's limits.
"""
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


def _format_percent(ten_thousandths, padding):
    """Format n/10000 percent as a decimal string with at most 4 decimals, optionally padded
    with trailing zeros ("12.50")."""
    whole, frac = divmod(ten_thousandths, 10_000)
    digits = f"{frac:04d}".rstrip("0")
    width = min(4, len(digits) + padding)
    digits = digits.ljust(width, "0")
    return f"{whole}.{digits}" if digits else str(whole)


def percents():
    """Percent strings "0".."100" with up to 4 decimals, biased to everyday values."""
    anything = st.builds(
        _format_percent, st.integers(0, 1_000_000), st.sampled_from((0, 0, 0, 0, 1, 2))
    )
    return st.one_of(st.sampled_from(COMMON_PERCENTS), st.integers(1, 100).map(str), anything)


def realistic_prices():
    """Unit prices in cents, mostly in a range where promotions below trigger."""
    return st.one_of(
        st.sampled_from((0, 1, 99, 100, 149, 179, 199, 250, 300, 333, 499, 500, 999)),
        st.integers(0, 2500),
    )


def huge_amounts():
    """Amounts up to the 10^10 limit, biased to the extremes."""
    return st.one_of(
        st.sampled_from((0, 1, LIMIT, LIMIT - 1, 9_999_999_999, 3_333_333_333)),
        st.integers(0, LIMIT),
    )


@st.composite
def tax_classes(draw):
    """1-4 tax classes, each a list of 0-3 rates; rate ids unique within a class and
    possibly repeated across classes."""
    names = draw(st.lists(st.sampled_from(CLASS_NAMES), min_size=1, max_size=4, unique=True))
    classes = {}
    for name in names:
        ids = draw(st.lists(st.sampled_from(RATE_IDS), max_size=3, unique=True))
        classes[name] = [{"id": rate_id, "rate": draw(percents())} for rate_id in ids]
    return classes


@st.composite
def _selector(draw, present=()):
    """A unit selector: a non-empty list of skus and/or tags (absent keys, never []).
    SKUs in `present` (those in the basket) are picked more often."""
    pool = tuple(present) * 2 + SKUS
    skus = draw(st.lists(st.sampled_from(pool), max_size=3, unique=True))
    tags = draw(st.lists(st.sampled_from(TAGS), max_size=2, unique=True))
    if not skus and not tags:
        skus = [draw(st.sampled_from(pool))]
    selector = {}
    if skus:
        selector["skus"] = skus
    if tags:
        selector["tags"] = tags
    return selector


@st.composite
def _reward_selector(draw, own):
    """reward_skus / reward_tags for a buy_x_get_y. A reward key is left out only when the
    promotion has no selector of that kind, so "defaulting to the promotion's own selector"
    has one reading."""
    reward = {}
    kinds = (("skus", "reward_skus", SKUS, 3), ("tags", "reward_tags", TAGS, 2))
    for own_key, key, pool, size in kinds:
        if own_key in own or draw(st.booleans()):
            reward[key] = draw(st.lists(st.sampled_from(pool), min_size=1, max_size=size,
                                        unique=True))
    return reward


@st.composite
def _gating(draw):
    """Optional member_only and coupon flags."""
    flags = {}
    member_only = draw(st.sampled_from((None, None, None, None, False, True)))
    if member_only is not None:
        flags["member_only"] = member_only
    coupon = draw(st.sampled_from((None,) * 6 + COUPONS))
    if coupon is not None:
        flags["coupon"] = coupon
    return flags


@st.composite
def promotion(draw, promo_id, amounts, present=()):
    """One promotion of any type; `present` are the basket's SKUs."""
    kind = draw(st.sampled_from(("percent_off", "mix_match", "buy_x_get_y", "threshold")))
    promo = {"id": promo_id, "type": kind}
    if kind == "percent_off":
        promo.update(draw(_selector(present)))
        promo["percent"] = draw(percents())
    elif kind == "mix_match":
        promo.update(draw(_selector(present)))
        promo["qty"] = draw(st.integers(2, 4))
        promo["price"] = draw(st.one_of(st.integers(0, 1000), amounts))
    elif kind == "buy_x_get_y":
        own = draw(_selector(present))
        promo.update(own)
        promo["buy"] = draw(st.integers(1, 3))
        promo["get"] = draw(st.integers(1, 2))
        promo["percent"] = draw(st.one_of(st.sampled_from(("50", "100")), percents()))
        if draw(st.booleans()):
            promo.update(draw(_reward_selector(own)))
    else:
        promo["min_subtotal"] = draw(amounts)
        if draw(st.booleans()):
            promo["amount_off"] = draw(amounts)
        else:
            promo["percent"] = draw(percents())
    promo.update(draw(_gating()))
    return promo


@st.composite
def _catalog_item(draw, prices):
    item = {"unit_price": draw(prices)}
    if draw(st.integers(0, 3)) == 0:
        item["member_price"] = draw(prices)
    tags = draw(st.lists(st.sampled_from(TAGS), max_size=2, unique=True))
    if tags or draw(st.booleans()):
        item["tags"] = tags
    return item


@st.composite
def requests(draw, max_lines=8, max_qty=6, max_weight_g=3000, prices=None, amounts=None,
             max_promotions=5, max_units=None, min_lines=0, min_promotions=0):
    """A valid request covering every feature of the contract.

    `max_units` caps the basket at that many units (a qty line counts qty, a weighed line 1).
    """
    prices = prices if prices is not None else realistic_prices()
    amounts = amounts if amounts is not None else st.one_of(realistic_prices(),
                                                             st.integers(0, 5000))
    classes = draw(tax_classes())
    class_names = sorted(classes)
    catalog = {sku: draw(_catalog_item(prices)) for sku in SKUS}

    n_lines = draw(st.integers(min_lines, max_lines))
    numbers = draw(st.lists(st.integers(1, 10**6), min_size=n_lines, max_size=n_lines,
                            unique=True))
    lines, units = [], 0
    for number in numbers:
        sku = draw(st.sampled_from(SKUS))
        item = dict(catalog[sku]) if draw(st.integers(0, 4)) else draw(_catalog_item(prices))
        line = {"line": number, "sku": sku, "unit_price": item["unit_price"],
                "tax_class": draw(st.sampled_from(class_names))}
        if draw(st.integers(0, 6)) == 0:
            line["weight_g"] = draw(st.integers(1, max_weight_g))
            count = 1
        else:
            line["qty"] = draw(st.one_of(st.integers(1, min(3, max_qty)),
                                         st.integers(1, max_qty)))
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
        if draw(st.integers(0, 9)) == 0:
            line["note"] = "unknown fields are ignored"
        lines.append(line)

    ids = draw(st.lists(st.sampled_from(PROMOTION_IDS), min_size=min_promotions,
                        max_size=max_promotions, unique=True))
    present = sorted({line["sku"] for line in lines})
    promotions = [draw(promotion(promo_id, amounts, present)) for promo_id in ids]

    request = {
        "tax_mode": draw(st.sampled_from(("exclusive", "inclusive"))),
        "tax_rounding": draw(st.sampled_from(("line", "total"))),
        "tax_classes": classes,
        "lines": lines,
    }
    rounding = draw(st.sampled_from((None, "half_up", "half_even", "half_even")))
    if rounding is not None:
        request["rounding"] = rounding
    increment = draw(st.one_of(st.none(), st.integers(1, 10), st.sampled_from((1, 5, 10))))
    if increment is not None:
        request["cash_increment"] = increment
    customer = draw(st.sampled_from(("absent", None, {"member": True}, {"member": False},
                                     {"member": True})))
    if customer != "absent":
        request["customer"] = customer
    coupons = draw(st.one_of(st.none(), st.lists(st.sampled_from(COUPONS + ("BOGUS",)),
                                                 max_size=2, unique=True)))
    if coupons is not None:
        request["coupons"] = coupons
    if promotions or draw(st.booleans()):
        request["promotions"] = promotions
    if draw(st.integers(0, 9)) == 0:
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
