"""Reading a pricing request: every field checked, then held in the compact form the kernel uses.

Compiled by Cython (pure-Python mode) because the till validates each basket on every scan.
A bad field raises ``PricingError`` with a message that names it, e.g.
``lines[2].unit_price: must be an integer from 0 to 10000000000, got -1``. JSON ``null`` for an
optional field means the field is absent.
"""
import cython

from shared.pricing.errors import PricingError

MAX_AMOUNT = 10**10
MAX_WEIGHT_G = 10**6
MAX_QTY = 9999
MAX_LINES = 1000
MAX_RATES_PER_CLASS = 100
# Percents and tax rates are held as integers in 1/10,000ths of a percent: "8.875" -> 88750.
PERCENT_ONE = 10_000
PERCENT_FULL = 100 * PERCENT_ONE
# A promotion asking for more units than any basket can hold behaves the same as one asking
# for this many; clamping keeps every count in 64-bit range.
MAX_BUNDLE_UNITS = MAX_LINES * MAX_QTY + 1

KIND_PERCENT = 0
KIND_MIX = 1
KIND_BXGY = 2
KIND_THRESHOLD = 3
_KINDS = {"percent_off": KIND_PERCENT, "mix_match": KIND_MIX, "buy_x_get_y": KIND_BXGY,
          "threshold": KIND_THRESHOLD}


def _show(value):
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _fail(field, what, value):
    raise PricingError(f"{field}: must be {what}, got {_show(value)}")


@cython.ccall
def _int(value, field: str, low, high):
    """An integer in [low, high] (high None: unbounded); JSON 1.0, "1" and true are refused."""
    if type(value) is not int or value < low or (high is not None and value > high):
        what = f"an integer from {low} to {high}" if high is not None else f"an integer >= {low}"
        _fail(field, what, value)
    return value


@cython.ccall
def _str(value, field: str):
    if type(value) is not str:
        _fail(field, "a string", value)
    return value


@cython.ccall
def _str_list(value, field: str) -> tuple:
    if value is None:
        return ()
    if type(value) is not list:
        _fail(field, "a list of strings", value)
    for index, item in enumerate(value):
        if type(item) is not str:
            _fail(f"{field}[{index}]", "a string", item)
    return tuple(value)


@cython.ccall
def _obj(value, field: str) -> dict:
    if type(value) is not dict:
        _fail(field, "an object", value)
    return value


def _required(obj: dict, key: str, where: str):
    if key not in obj or obj[key] is None:
        raise PricingError(f"{where}{key}: is required")
    return obj[key]


def _choice(value, field: str, choices: tuple):
    if value not in choices or type(value) is not str:
        _fail(field, "one of " + ", ".join(repr(c) for c in choices), value)
    return choices.index(value)


def parse_percent(value, field: str) -> int:
    """A decimal percent string such as "12.5", in 1/10,000ths of a percent, exactly."""
    if type(value) is str and 0 < len(value) <= 8:
        whole, dot, frac = value.partition(".")
        if (whole.isdigit() and whole.isascii() and len(whole) <= 3
                and (not dot or (frac.isdigit() and frac.isascii() and len(frac) <= 4))):
            scaled = int(whole) * PERCENT_ONE + (int(frac.ljust(4, "0")) if dot else 0)
            if scaled <= PERCENT_FULL:
                return scaled
    _fail(field, 'a decimal string from "0" to "100" with at most 4 decimals', value)


def _bool(value, field: str, default: bool) -> bool:
    if value is None:
        return default
    if type(value) is not bool:
        _fail(field, "true or false", value)
    return value


class StoreConfig:
    """The store-wide part of a request, validated and prepared once per catalog version.

    Promotions are sorted by id, so a promotion's index orders results the way the contract
    asks. Item promotions are indexed by the SKUs and tags they select, as bit masks over
    promotion indices, so matching a line costs a few dictionary look-ups.
    """

    def __init__(self, config):
        config = _obj(config, "request")
        self.tax_mode = _choice(_required(config, "tax_mode", ""), "tax_mode",
                                ("exclusive", "inclusive"))
        self.tax_rounding = _choice(_required(config, "tax_rounding", ""), "tax_rounding",
                                    ("line", "total"))
        rounding = config.get("rounding")
        self.half_even = rounding is not None and bool(
            _choice(rounding, "rounding", ("half_up", "half_even")))
        increment = config.get("cash_increment")
        self.cash_increment = 1 if increment is None else _int(increment, "cash_increment", 1,
                                                               None)
        self._read_tax_classes(_obj(_required(config, "tax_classes", ""), "tax_classes"))
        promotions = config.get("promotions")
        if promotions is None:
            promotions = []
        elif type(promotions) is not list:
            _fail("promotions", "a list", promotions)
        self._read_promotions(promotions)

    def _read_tax_classes(self, classes: dict):
        self.class_index = {}
        self.class_rates = []  # per class: tuple of (rate id, rate in 1/10,000 %)
        self.class_rate_sum = []
        for name, rates in classes.items():
            field = f"tax_classes.{name}"
            if type(rates) is not list or len(rates) > MAX_RATES_PER_CLASS:
                _fail(field, f"a list of at most {MAX_RATES_PER_CLASS} rates", rates)
            seen = set()
            parsed = []
            for index, rate in enumerate(rates):
                where = f"{field}[{index}]"
                rate, rate_id = _with_new_id(rate, where, seen, "rate")
                parsed.append((rate_id, parse_percent(_required(rate, "rate", where + "."),
                                                      where + ".rate")))
            self.class_index[name] = len(self.class_rates)
            self.class_rates.append(tuple(sorted(parsed)))
            self.class_rate_sum.append(sum(p for _, p in parsed))

    def _read_promotions(self, promotions: list):
        seen = set()
        read = []
        for index, promo in enumerate(promotions):
            where = f"promotions[{index}]"
            promo, promo_id = _with_new_id(promo, where, seen, "promotion")
            read.append((promo_id, Promotion(promo, where)))
        self.promotions = [promo for _, promo in sorted(read, key=lambda pair: pair[0])]
        self.main_by_sku, self.main_by_tag = {}, {}
        self.reward_by_sku, self.reward_by_tag = {}, {}
        self.percent_mask = self.multi_mask = self.bxgy_mask = 0
        for index, promo in enumerate(self.promotions):
            bit = 1 << index
            if promo.kind == KIND_THRESHOLD:
                continue
            _index_selector(self.main_by_sku, promo.skus, bit)
            _index_selector(self.main_by_tag, promo.tags, bit)
            if promo.kind == KIND_PERCENT:
                self.percent_mask |= bit
                continue
            self.multi_mask |= bit
            if promo.kind == KIND_BXGY:
                self.bxgy_mask |= bit
                _index_selector(self.reward_by_sku, promo.reward_skus, bit)
                _index_selector(self.reward_by_tag, promo.reward_tags, bit)

    def active_mask(self, member: bool, coupons: frozenset) -> int:
        """The promotions this customer and these coupons switch on, as a bit mask."""
        mask = 0
        for index, promo in enumerate(self.promotions):
            if (member or not promo.member_only) and (promo.coupon is None
                                                      or promo.coupon in coupons):
                mask |= 1 << index
        return mask


def _with_new_id(item, where: str, seen: set, what: str):
    """An object whose string ``id`` is new in its list; returns (object, id)."""
    item = _obj(item, where)
    item_id = _str(_required(item, "id", where + "."), where + ".id")
    if item_id in seen:
        raise PricingError(f"{where}.id: duplicate {what} id {item_id!r}")
    seen.add(item_id)
    return item, item_id


def _index_selector(index: dict, keys: tuple, bit: int):
    for key in keys:
        index[key] = index.get(key, 0) | bit


class Promotion:
    """One validated promotion; amounts are integers, percents in 1/10,000ths of a percent."""

    def __init__(self, promo: dict, where: str):
        kind_name = _required(promo, "type", where + ".")
        if type(kind_name) is not str or kind_name not in _KINDS:
            _fail(where + ".type", "one of " + ", ".join(_KINDS), kind_name)
        self.kind = _KINDS[kind_name]
        self.id = promo["id"]
        self.member_only = _bool(promo.get("member_only"), where + ".member_only", False)
        coupon = promo.get("coupon")
        self.coupon = None if coupon is None else _str(coupon, where + ".coupon")
        self.skus = _str_list(promo.get("skus"), where + ".skus")
        self.tags = _str_list(promo.get("tags"), where + ".tags")
        self.percent = self.qty = self.price = self.buy = self.get = 0
        self.min_subtotal = 0
        self.amount_off = None
        self.reward_skus = self.reward_tags = ()
        if self.kind == KIND_PERCENT:
            self.percent = self._percent(promo, where)
        elif self.kind == KIND_MIX:
            self.qty = min(_int(_required(promo, "qty", where + "."), where + ".qty", 2, None),
                           MAX_BUNDLE_UNITS)
            self.price = _int(_required(promo, "price", where + "."), where + ".price", 0,
                              MAX_AMOUNT)
        elif self.kind == KIND_BXGY:
            self.buy = min(_int(_required(promo, "buy", where + "."), where + ".buy", 1, None),
                           MAX_BUNDLE_UNITS)
            self.get = min(_int(_required(promo, "get", where + "."), where + ".get", 1, None),
                           MAX_BUNDLE_UNITS)
            self.percent = self._percent(promo, where)
            reward_skus, reward_tags = promo.get("reward_skus"), promo.get("reward_tags")
            if reward_skus is None and reward_tags is None:
                self.reward_skus, self.reward_tags = self.skus, self.tags
            else:
                self.reward_skus = _str_list(reward_skus, where + ".reward_skus")
                self.reward_tags = _str_list(reward_tags, where + ".reward_tags")
        else:
            self.min_subtotal = _int(_required(promo, "min_subtotal", where + "."),
                                     where + ".min_subtotal", 0, MAX_AMOUNT)
            amount_off, percent = promo.get("amount_off"), promo.get("percent")
            if (amount_off is None) == (percent is None):
                raise PricingError(f"{where}: a threshold needs exactly one of amount_off "
                                   "and percent")
            if amount_off is not None:
                self.amount_off = _int(amount_off, where + ".amount_off", 0, MAX_AMOUNT)
            else:
                self.percent = parse_percent(percent, where + ".percent")

    @staticmethod
    def _percent(promo: dict, where: str) -> int:
        return parse_percent(_required(promo, "percent", where + "."), where + ".percent")


def read_basket(basket, config: StoreConfig):
    """Validate the per-sale part of a request.

    Returns ``(member, coupons, lines)``; each line is the tuple
    ``(line, sku, unit_price, class index, qty or 0, weight_g or 0, member_price or -1, tags)``.
    """
    basket = _obj(basket, "request")
    customer = basket.get("customer")
    member = False
    if customer is not None:
        member = _bool(_obj(customer, "customer").get("member"), "customer.member", False)
    coupons = frozenset(_str_list(basket.get("coupons"), "coupons"))
    raw_lines = _required(basket, "lines", "")
    if type(raw_lines) is not list:
        _fail("lines", "a list", raw_lines)
    if len(raw_lines) > MAX_LINES:
        raise PricingError(f"lines: at most {MAX_LINES} lines, got {len(raw_lines)}")
    class_index: dict = config.class_index
    numbers = set()
    lines = []
    index: cython.Py_ssize_t
    for index in range(len(raw_lines)):
        lines.append(_read_line(raw_lines[index], index, class_index, numbers))
    return member, coupons, lines


@cython.cfunc
def _line_int(value, index: cython.Py_ssize_t, name: str, low, high):
    """A line's integer field; the error path is only spelled out when it fails."""
    if type(value) is not int or value < low or value > high:
        _int(value, f"lines[{index}].{name}", low, high)
    return value


@cython.cfunc
def _read_line(raw, index: cython.Py_ssize_t, class_index: dict, numbers: set) -> tuple:
    if type(raw) is not dict:
        _fail(f"lines[{index}]", "an object", raw)
    line: dict = raw
    number = line.get("line")
    if type(number) is not int:
        _fail(f"lines[{index}].line", "an integer", number)
    if number in numbers:
        raise PricingError(f"lines[{index}].line: duplicate line number {number}")
    numbers.add(number)
    sku = line.get("sku")
    if type(sku) is not str:
        _fail(f"lines[{index}].sku", "a string", sku)
    unit_price = _line_int(line.get("unit_price"), index, "unit_price", 0, MAX_AMOUNT)
    tax_class = line.get("tax_class")
    klass = class_index.get(tax_class) if type(tax_class) is str else None
    if klass is None:
        _fail(f"lines[{index}].tax_class", "one of the request's tax_classes", tax_class)
    qty, weight = line.get("qty"), line.get("weight_g")
    if (qty is None) == (weight is None):
        raise PricingError(f"lines[{index}]: exactly one of qty and weight_g is required")
    if qty is not None:
        qty = _line_int(qty, index, "qty", 1, MAX_QTY)
        weight = 0
    else:
        weight = _line_int(weight, index, "weight_g", 1, MAX_WEIGHT_G)
        qty = 0
    member_price = line.get("member_price")
    if member_price is None:
        member_price = -1
    else:
        member_price = _line_int(member_price, index, "member_price", 0, MAX_AMOUNT)
    tags = line.get("tags")
    if tags is None:
        tags = ()
    elif type(tags) is list and all(type(tag) is str for tag in tags):
        tags = tuple(tags)
    else:
        tags = _str_list(tags, f"lines[{index}].tags")
    return (number, sku, unit_price, klass, qty, weight, member_price, tags)
