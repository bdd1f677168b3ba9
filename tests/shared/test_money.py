import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.money import format_money, parse_money


@pytest.mark.parametrize("minor, exponent, symbol, text", [
    (0, 2, "", "0.00"), (5, 2, "", "0.05"), (1234, 2, "£", "£12.34"),
    (-250, 2, "$", "-$2.50"), (1234, 0, "", "1234"), (1, 3, "", "0.001"),
])
def test_format(minor, exponent, symbol, text):
    assert format_money(minor, exponent, symbol) == text


@pytest.mark.parametrize("text, minor", [
    ("12", 1200), ("12.5", 1250), ("12,50", 1250), (" 0.05 ", 5), ("007", 700),
])
def test_parse(text, minor):
    assert parse_money(text) == minor


@pytest.mark.parametrize("text", ["", "abc", "1.234", "-1", "1e3", "1.2.3", None, "12."])
def test_parse_rejects_with_message(text):
    with pytest.raises(ValueError, match="not an amount"):
        parse_money(text)


def test_format_refuses_floats():
    with pytest.raises(TypeError):
        format_money(1.5)


@given(st.integers(min_value=0, max_value=10 ** 15), st.integers(min_value=0, max_value=3))
def test_round_trip(minor, exponent):
    assert parse_money(format_money(minor, exponent), exponent) == minor
