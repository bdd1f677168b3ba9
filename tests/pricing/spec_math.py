"""Exact arithmetic from the pricing contract (docs: ../shared/specs/pricing.md), for tests.

Written from the spec text alone, independent of the engine: R(x), percent parsing, cash
rounding, effective prices, line bases and the largest-remainder allocation.
"""
import math
from fractions import Fraction

HALF = Fraction(1, 2)


def R(x, rounding="half_up"):  # noqa: N802 - the spec's name for the rounding function
    """Round an exact rational x >= 0 to an integer, half up or half to even."""
    x = Fraction(x)
    assert x >= 0, x
    if rounding == "half_up":
        return math.floor(x + HALF)
    assert rounding == "half_even", rounding
    return round(x)  # Fraction.__round__ rounds ties to even


def rounding_of(request):
    """The request's rounding mode, with the spec's default."""
    return request.get("rounding", "half_up")


def pct(text):
    """A percent string ("8.875") as an exact Fraction of percent."""
    return Fraction(text)


def cash_round(total, increment):
    """`total` rounded half up to a multiple of `increment`."""
    return R(Fraction(total, increment), "half_up") * increment


def is_member(request):
    customer = request.get("customer")
    return isinstance(customer, dict) and customer.get("member") is True


def effective_price(line, member):
    """p = min(unit_price, member_price) for a member with a member price, else unit_price."""
    if member and line.get("member_price") is not None:
        return min(line["unit_price"], line["member_price"])
    return line["unit_price"]


def line_base(line, member, rounding):
    """p x qty, or R(p x weight_g / 1000) for a weighed line."""
    p = effective_price(line, member)
    if "weight_g" in line:
        return R(Fraction(p * line["weight_g"], 1000), rounding)
    return p * line["qty"]


def largest_remainder(total, weights):
    """Split integer `total` in proportion to `weights`: floors, then one cent each to the
    largest fractional remainders, ties to the earlier position."""
    weight_sum = sum(weights)
    if total == 0 or weight_sum == 0:
        return [0] * len(weights)
    exact = [Fraction(total * w, weight_sum) for w in weights]
    shares = [math.floor(x) for x in exact]
    left = total - sum(shares)
    order = sorted(range(len(weights)), key=lambda i: (-(exact[i] - shares[i]), i))
    for i in order[:left]:
        shares[i] += 1
    return shares
