"""The contract's public test vectors, on both the compiled and the interpreted engine."""
import json
from pathlib import Path

import pytest

import shared.pricing as compiled
from shared.pricing import PricingError, pure

REPO_ROOT = Path(__file__).resolve().parents[2]
VECTORS_PATH = REPO_ROOT / "tests" / "data" / "pricing-vectors.json"
# The product's specs live beside the repo on the team's machines, not in a user's clone.
SPEC_VECTORS_PATH = REPO_ROOT.parent / "shared" / "specs" / "pricing-vectors.json"

VECTORS = json.loads(VECTORS_PATH.read_text(encoding="utf-8"))
EXPECT = [v for v in VECTORS if "expect" in v]
ERRORS = [v for v in VECTORS if v.get("error")]
IMPLEMENTATIONS = {"compiled": compiled, "pure": pure}


def by_name(vectors):
    return pytest.mark.parametrize("vector", vectors, ids=[v["name"] for v in vectors])


impls = pytest.mark.parametrize("impl", list(IMPLEMENTATIONS))


def test_vectors_file_is_sane():
    """Every vector is either an `expect` or an `error` one, names are unique, and both kinds
    are present (guards against a truncated or mangled copy)."""
    names = [v["name"] for v in VECTORS]
    assert len(names) == len(set(names))
    assert len(EXPECT) + len(ERRORS) == len(VECTORS)
    assert EXPECT and ERRORS


@impls
@by_name(EXPECT)
def test_expected_result(impl, vector):
    """price_basket gives exactly the vector's expected result."""
    assert IMPLEMENTATIONS[impl].price_basket(vector["request"]) == vector["expect"]


@impls
@by_name(EXPECT)
def test_engine_matches_price_basket(impl, vector):
    """Engine(config).price(basket) gives the same result as price_basket; other keys in the
    dict passed either way are ignored."""
    module = IMPLEMENTATIONS[impl]
    request = vector["request"]
    assert module.Engine(request).price(request) == vector["expect"]


@impls
@by_name(ERRORS)
def test_error_vector_raises(impl, vector):
    """Bad requests raise PricingError (a ValueError), through price_basket and Engine."""
    module = IMPLEMENTATIONS[impl]
    with pytest.raises(PricingError) as info:
        module.price_basket(vector["request"])
    assert isinstance(info.value, ValueError)
    assert str(info.value)
    with pytest.raises(PricingError):
        module.Engine(vector["request"]).price(vector["request"])


@by_name(ERRORS)
def test_error_messages_agree(vector):
    """Compiled and interpreted engines refuse a bad request with the same message."""
    messages = []
    for module in IMPLEMENTATIONS.values():
        with pytest.raises(PricingError) as info:
            module.price_basket(vector["request"])
        messages.append(str(info.value))
    assert messages[0] == messages[1]


SPEC_EXAMPLE_REQUEST = {
    "tax_mode": "exclusive", "tax_rounding": "line", "cash_increment": 5,
    "tax_classes": {"std": [{"id": "state", "rate": "6.25"}]},
    "lines": [{"line": 1, "sku": "A", "unit_price": 179, "tax_class": "std", "qty": 3}],
    "promotions": [{"id": "P2", "type": "mix_match", "skus": ["A"], "qty": 3, "price": 500}],
}
SPEC_EXAMPLE_RESULT = {
    "lines": [{"line": 1, "sku": "A", "qty": 3, "weight_g": None, "unit_price": 179,
               "base": 537, "discounts": [{"promotion": "P2", "amount": 37}],
               "net": 500, "taxes": [{"id": "state", "amount": 31}]}],
    "subtotal": 537, "item_discount": 37, "basket_discount": 0, "basket_promotion": None,
    "applied": [{"promotion": "P2", "times": 1, "discount": 37}],
    "taxes": [{"id": "state", "amount": 31}], "tax_total": 31,
    "total": 531, "cash_total": 530, "optimal": True,
}


@impls
def test_spec_result_example(impl):
    """The worked example of the spec's Result section (3 x A at 179, 3 for 500, 6.25%, cash
    to 0.05), with rounding and customer left to their defaults."""
    assert IMPLEMENTATIONS[impl].price_basket(SPEC_EXAMPLE_REQUEST) == SPEC_EXAMPLE_RESULT


def test_pricing_error_is_shared():
    """One PricingError class for both forms, so callers can catch either."""
    assert compiled.PricingError is pure.PricingError is PricingError
    assert issubclass(PricingError, ValueError)


@pytest.mark.skipif(not SPEC_VECTORS_PATH.exists(), reason="../shared/specs is not present")
def test_copy_matches_spec_vectors():
    """tests/data/pricing-vectors.json is a byte-for-byte copy of the spec's vectors."""
    assert VECTORS_PATH.read_bytes() == SPEC_VECTORS_PATH.read_bytes()
