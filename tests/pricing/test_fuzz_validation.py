"""Bad input: the engine refuses it with a PricingError naming the field, never another
exception, and the compiled and interpreted engines refuse it identically."""
import copy
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import shared.pricing as compiled
from shared.pricing import PricingError, pure
from tests.pricing.strategies import requests
from tests.pricing.watchdog import guarded

RELAXED = {
    "deadline": None,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large],
}
LIMIT = 10**10

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)

# Values that look almost right somewhere in a request.
NASTY = [None, True, False, 0, 1, -1, 1.0, 0.5, -0.0, float("inf"), float("nan"), "", "1",
         "0", "100.00001", "1e2", " 5", "5 ", "-1", "101", "NaN", "Infinity", "0x10",
         "12.34567", LIMIT, LIMIT + 1, 10**6 + 1, 10**4, 2**63, 2**64 + 1, -(2**63), [],
         {}, [1], ["A"], {"member": True}, "A", "std", "P1"]


def outcome(price, request):
    """("ok", result JSON) or ("error", message); anything else fails the test."""
    try:
        return "ok", json.dumps(guarded(price, request))
    except PricingError as exc:
        assert str(exc), "empty PricingError message"
        return "error", str(exc)


def check_both(request):
    """Both engines (and Engine) give the same outcome, raising nothing but PricingError."""
    before = copy.deepcopy(request)
    got = outcome(compiled.price_basket, request)
    assert outcome(pure.price_basket, request) == got
    if isinstance(request, dict):
        try:
            via_engine = outcome(compiled.Engine(request).price, request)
        except PricingError:
            via_engine = None  # the store-wide part was refused up front
        if via_engine is not None and got[0] == "ok":
            assert via_engine == got
        if via_engine is not None and got[0] == "error":
            assert via_engine[0] == "error"
    # NaN != NaN, so compare what can be compared.
    assert json.dumps(request, sort_keys=True) == json.dumps(before, sort_keys=True)
    return got


def paths(value, prefix=()):
    """Every path to a value inside a request (dict keys and list indices)."""
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return
    for key, child in items:
        yield prefix + (key,)
        yield from paths(child, prefix + (key,))


def get_parent(request, path):
    node = request
    for key in path[:-1]:
        node = node[key]
    return node


# Drawn from in every example: built once (a new strategy is validated on its first draw).
SMALL_REQUESTS = requests(max_lines=4)
EDIT_COUNTS = st.integers(1, 3)
EDITS = st.sampled_from(("drop", "nasty", "nasty", "random", "duplicate"))
NASTY_VALUES = st.sampled_from(NASTY)


@st.composite
def mutated_requests(draw):
    """A valid request with 1-3 random edits: a field dropped, a value replaced by a nasty
    or random one, a list entry duplicated (duplicate line / promotion id)."""
    request = draw(SMALL_REQUESTS)
    for _ in range(draw(EDIT_COUNTS)):
        all_paths = list(paths(request))
        if not all_paths:
            break
        path = draw(st.sampled_from(all_paths))
        parent, key = get_parent(request, path), path[-1]
        action = draw(EDITS)
        if action == "drop":
            del parent[key]
        elif action == "nasty":
            parent[key] = copy.deepcopy(draw(NASTY_VALUES))
        elif action == "random":
            parent[key] = draw(json_values)
        elif isinstance(parent, list):
            parent.append(copy.deepcopy(parent[key]))
    return request


@settings(max_examples=300, **RELAXED)
@given(json_values)
def test_random_json_is_refused(value):
    """Arbitrary JSON is refused with a PricingError, never another exception."""
    kind, _ = check_both(value)
    assert kind == "error"


@settings(max_examples=300, **RELAXED)
@given(st.fixed_dictionaries({
    "tax_mode": st.sampled_from(["exclusive", "inclusive"]) | json_values,
    "tax_rounding": st.sampled_from(["line", "total"]) | json_values,
    "tax_classes": st.just({"std": [{"id": "vat", "rate": "21"}]}) | json_values,
    "lines": st.lists(json_values, max_size=3) | json_values,
    "promotions": st.lists(json_values, max_size=3) | json_values,
    "customer": json_values,
}))
def test_random_fields_are_refused_cleanly(request):
    """A request with the right keys but random values: PricingError or a result."""
    check_both(request)


@settings(max_examples=1200, **RELAXED)
@given(mutated_requests())
def test_mutated_requests_are_refused_cleanly(request):
    """Valid requests with random edits: PricingError or a result, same in both engines."""
    check_both(request)


# ---------------------------------------------------------------------------------------
# The spec's Errors section, one case at a time


def base_request():
    """A valid request touching every field the cases below break."""
    return {
        "tax_mode": "exclusive", "tax_rounding": "line", "rounding": "half_up",
        "cash_increment": 5,
        "tax_classes": {"std": [{"id": "state", "rate": "6.25"}, {"id": "city", "rate": "2"}],
                        "food": []},
        "customer": {"member": True},
        "coupons": ["SAVE"],
        "lines": [
            {"line": 1, "sku": "A", "unit_price": 199, "member_price": 179, "tax_class": "std",
             "qty": 3, "tags": ["dairy"]},
            {"line": 2, "sku": "B", "unit_price": 1299, "tax_class": "food", "weight_g": 1250},
        ],
        "promotions": [
            {"id": "P", "type": "percent_off", "skus": ["A"], "percent": "10"},
            {"id": "M", "type": "mix_match", "tags": ["dairy"], "qty": 2, "price": 300},
            {"id": "B", "type": "buy_x_get_y", "skus": ["A"], "buy": 1, "get": 1,
             "percent": "50", "reward_skus": ["A"]},
            {"id": "T", "type": "threshold", "min_subtotal": 100, "amount_off": 50,
             "coupon": "SAVE", "member_only": True},
            {"id": "U", "type": "threshold", "min_subtotal": 100, "percent": "5"},
        ],
    }


DROP = object()

# (path, new value or DROP, words one of which the message must contain)
CASES = [
    # missing required fields
    (("tax_mode",), DROP, ["tax_mode"]),
    (("tax_rounding",), DROP, ["tax_rounding"]),
    (("tax_classes",), DROP, ["tax_classes"]),
    (("lines",), DROP, ["lines"]),
    (("lines", 0, "line"), DROP, ["line"]),
    (("lines", 0, "sku"), DROP, ["sku"]),
    (("lines", 0, "unit_price"), DROP, ["unit_price"]),
    (("lines", 0, "tax_class"), DROP, ["tax_class"]),
    (("tax_classes", "std", 0, "rate"), DROP, ["rate"]),
    (("tax_classes", "std", 0, "id"), DROP, ["id"]),
    (("promotions", 0, "id"), DROP, ["id"]),
    (("promotions", 0, "type"), DROP, ["type"]),
    (("promotions", 0, "percent"), DROP, ["percent"]),
    (("promotions", 1, "qty"), DROP, ["qty"]),
    (("promotions", 1, "price"), DROP, ["price"]),
    (("promotions", 2, "buy"), DROP, ["buy"]),
    (("promotions", 2, "get"), DROP, ["get"]),
    (("promotions", 2, "percent"), DROP, ["percent"]),
    (("promotions", 3, "min_subtotal"), DROP, ["min_subtotal"]),
    # mistyped fields; 1.0, "1" and true are not integers
    (("tax_mode",), 1, ["tax_mode"]),
    (("tax_classes",), [], ["tax_classes"]),
    (("tax_classes", "std"), {"id": "state", "rate": "6.25"}, ["std", "tax_classes"]),
    (("tax_classes", "std", 0, "rate"), 6.25, ["rate"]),
    (("tax_classes", "std", 0, "rate"), 6, ["rate"]),
    (("lines",), {"line": 1}, ["lines"]),
    (("lines", 0), "A", ["line"]),
    (("lines", 0, "line"), "1", ["line"]),
    (("lines", 0, "line"), 1.0, ["line"]),
    (("lines", 0, "sku"), 5, ["sku"]),
    (("lines", 0, "unit_price"), 199.0, ["unit_price"]),
    (("lines", 0, "unit_price"), "199", ["unit_price"]),
    (("lines", 0, "unit_price"), True, ["unit_price"]),
    (("lines", 0, "member_price"), 179.5, ["member_price"]),
    (("lines", 0, "member_price"), False, ["member_price"]),
    (("lines", 0, "qty"), 3.0, ["qty"]),
    (("lines", 0, "qty"), True, ["qty"]),
    (("lines", 0, "qty"), "3", ["qty"]),
    (("lines", 1, "weight_g"), 1250.0, ["weight_g"]),
    (("lines", 0, "tags"), "dairy", ["tags"]),
    (("lines", 0, "tags"), [1], ["tags"]),
    (("customer",), "member", ["customer"]),
    (("customer", "member"), "yes", ["member", "customer"]),
    (("coupons",), "SAVE", ["coupons"]),
    (("coupons",), [1], ["coupons"]),
    (("cash_increment",), 5.0, ["cash_increment"]),
    (("cash_increment",), True, ["cash_increment"]),
    (("cash_increment",), 0, ["cash_increment"]),
    (("promotions",), {"id": "P"}, ["promotions"]),
    (("promotions", 0, "percent"), 10, ["percent"]),
    (("promotions", 0, "percent"), 10.0, ["percent"]),
    (("promotions", 0, "skus"), "A", ["skus"]),
    (("promotions", 1, "price"), "300", ["price"]),
    (("promotions", 1, "qty"), 2.0, ["qty"]),
    (("promotions", 2, "buy"), True, ["buy"]),
    (("promotions", 2, "buy"), 0, ["buy"]),
    (("promotions", 2, "get"), 0, ["get"]),
    (("promotions", 3, "amount_off"), 50.0, ["amount_off"]),
    (("promotions", 3, "min_subtotal"), "100", ["min_subtotal"]),
    # unknown names
    (("lines", 0, "tax_class"), "nope", ["tax_class"]),
    (("tax_mode",), "sideways", ["tax_mode"]),
    (("tax_rounding",), "per_item", ["tax_rounding"]),
    (("rounding",), "up", ["rounding"]),
    (("promotions", 0, "type"), "free_lunch", ["type"]),
    # duplicates
    (("lines", 1, "line"), 1, ["line"]),
    (("promotions", 1, "id"), "P", ["id"]),
    # qty and weight_g both or neither
    (("lines", 0, "weight_g"), 500, ["qty", "weight_g"]),
    (("lines", 0, "qty"), DROP, ["qty", "weight_g"]),
    # negative and over-limit amounts
    (("lines", 0, "unit_price"), -1, ["unit_price"]),
    (("lines", 0, "member_price"), -1, ["member_price"]),
    (("promotions", 1, "price"), -1, ["price"]),
    (("promotions", 3, "amount_off"), -1, ["amount_off"]),
    (("promotions", 3, "min_subtotal"), -1, ["min_subtotal"]),
    (("lines", 0, "unit_price"), LIMIT + 1, ["unit_price"]),
    (("lines", 0, "member_price"), LIMIT + 1, ["member_price"]),
    (("promotions", 1, "price"), LIMIT + 1, ["price"]),
    (("promotions", 3, "amount_off"), LIMIT + 1, ["amount_off"]),
    (("promotions", 3, "min_subtotal"), LIMIT + 1, ["min_subtotal"]),
    (("lines", 0, "unit_price"), 2**64, ["unit_price"]),
    (("lines", 0, "qty"), 0, ["qty"]),
    (("lines", 0, "qty"), -3, ["qty"]),
    (("lines", 0, "qty"), 10_000, ["qty"]),
    (("lines", 1, "weight_g"), 0, ["weight_g"]),
    (("lines", 1, "weight_g"), 10**6 + 1, ["weight_g"]),
    # percents outside 0..100 or with more than 4 decimals, or not a plain decimal
    (("promotions", 0, "percent"), "100.00001", ["percent"]),
    (("promotions", 0, "percent"), "100.0001", ["percent"]),
    (("promotions", 0, "percent"), "101", ["percent"]),
    (("promotions", 0, "percent"), "-1", ["percent"]),
    (("promotions", 0, "percent"), "12.34567", ["percent"]),
    (("promotions", 0, "percent"), "1e2", ["percent"]),
    (("promotions", 0, "percent"), " 5", ["percent"]),
    (("promotions", 0, "percent"), "5 ", ["percent"]),
    (("promotions", 0, "percent"), "", ["percent"]),
    (("promotions", 0, "percent"), "NaN", ["percent"]),
    (("promotions", 0, "percent"), "Infinity", ["percent"]),
    (("promotions", 0, "percent"), "ten", ["percent"]),
    (("promotions", 2, "percent"), "150", ["percent"]),
    (("promotions", 4, "percent"), "0.00001", ["percent"]),
    (("tax_classes", "std", 0, "rate"), "100.00001", ["rate"]),
    (("tax_classes", "std", 0, "rate"), "-0.5", ["rate"]),
    (("tax_classes", "std", 0, "rate"), "1e1", ["rate"]),
    (("tax_classes", "std", 0, "rate"), "6.25%", ["rate"]),
    # threshold with both or neither of amount_off / percent
    (("promotions", 3, "percent"), "5", ["amount_off", "percent"]),
    (("promotions", 4, "percent"), DROP, ["amount_off", "percent"]),
    # mix_match with qty < 2
    (("promotions", 1, "qty"), 1, ["qty"]),
    (("promotions", 1, "qty"), 0, ["qty"]),
]


def case_id(case):
    path, value, _ = case
    where = ".".join(str(p) for p in path)
    return f"{where}-dropped" if value is DROP else f"{where}={value!r}"


def apply(request, path, value):
    parent = get_parent(request, path)
    if value is DROP:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return request


def assert_refused(request, words):
    """Both engines raise PricingError, with the same message, naming one of `words`."""
    messages = []
    for module in (compiled, pure):
        with pytest.raises(PricingError) as info:
            module.price_basket(request)
        messages.append(str(info.value))
    assert messages[0] == messages[1]
    assert any(word in messages[0] for word in words), (messages[0], words)


def test_base_request_is_valid():
    """The request the error cases start from is itself accepted (so each case below fails
    for its own reason only)."""
    for module in (compiled, pure):
        result = module.price_basket(base_request())
        assert result["lines"] and result["applied"]


@pytest.mark.parametrize("case", CASES, ids=[case_id(c) for c in CASES])
def test_bad_field_is_named(case):
    """Each violation in the spec's Errors section raises PricingError naming the field."""
    path, value, words = case
    assert_refused(apply(base_request(), path, copy.deepcopy(value)), words)


@pytest.mark.parametrize("request_", [None, [], "request", 42, 1.5, True],
                         ids=["null", "array", "string", "int", "float", "bool"])
def test_request_must_be_an_object(request_):
    """A request that is not a JSON object is a PricingError (a batch may contain one); so
    is such a config for Engine, or such a basket for engine.price."""
    for module in (compiled, pure):
        with pytest.raises(PricingError):
            module.price_basket(request_)
        with pytest.raises(PricingError):
            module.Engine(request_)
        engine = module.Engine(base_request())
        with pytest.raises(PricingError):
            engine.price(request_)


def plain_lines(count):
    return [{"line": n, "sku": f"S{n % 7}", "unit_price": 100 + n, "tax_class": "std", "qty": 1}
            for n in range(1, count + 1)]


def test_more_than_1000_lines():
    """1001 lines is refused naming `lines`; 1000 is accepted."""
    request = base_request()
    request["lines"] = plain_lines(1001)
    assert_refused(request, ["lines", "1000"])
    request["lines"] = plain_lines(1000)
    assert len(compiled.price_basket(request)["lines"]) == 1000


@pytest.mark.parametrize("path", [
    ("lines", 0, "unit_price"), ("lines", 0, "member_price"), ("promotions", 1, "price"),
    ("promotions", 3, "amount_off"), ("promotions", 3, "min_subtotal"),
])
def test_amounts_at_the_limit_are_accepted(path):
    """Exactly 10^10 is a valid amount (the limit is inclusive)."""
    request = apply(base_request(), path, LIMIT)
    assert outcome(compiled.price_basket, request)[0] == "ok"
    assert outcome(pure.price_basket, request)[0] == "ok"


@pytest.mark.parametrize("value", ["0", "100", "100.0000", "8.875", "0.0001", "99.9999",
                                   "12.5", "5.0"])
def test_valid_percents_are_accepted(value):
    """Decimal strings 0..100 with at most 4 decimals are valid percents and rates."""
    request = base_request()
    request["promotions"][0]["percent"] = value
    request["tax_classes"]["std"][0]["rate"] = value
    assert outcome(compiled.price_basket, request)[0] == "ok"
    assert outcome(pure.price_basket, request)[0] == "ok"


def test_valid_edge_values_are_accepted():
    """Boundary values the contract allows: qty 9999, weight_g 10^6 and 1, price 0, an empty
    rate list, customer null or absent, cash_increment 1 or huge, line numbers 0 and
    negative (`line` is any unique int)."""
    request = base_request()
    request["lines"][0]["qty"] = 9999
    request["lines"][0]["unit_price"] = 0
    request["lines"][1]["weight_g"] = 10**6
    request["cash_increment"] = 1
    request["customer"] = None
    assert outcome(compiled.price_basket, request)[0] == "ok"
    request["lines"][1]["weight_g"] = 1
    del request["customer"]
    del request["coupons"]
    del request["promotions"]
    del request["rounding"]
    del request["cash_increment"]
    assert outcome(compiled.price_basket, request)[0] == "ok"
    request["lines"][0]["line"], request["lines"][1]["line"] = 0, -7
    request["cash_increment"] = 10**12
    for module in (compiled, pure):
        result = module.price_basket(request)
        assert [line["line"] for line in result["lines"]] == [0, -7]
        assert result["cash_total"] == 0
