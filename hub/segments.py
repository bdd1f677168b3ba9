"""Customer segments: RFM scores computed from the sales, and segments by rules, counted
live.

**RFM.** Each customer with a purchase gets a recency, frequency and monetary score, the
quintile (1-5, 5 best) of their last purchase, visits and money spent among all customers
(``NTILE(5)`` in the database, so 200,000 customers take one statement), and the segment
those make (``LABELS``). ``recompute`` replaces them all in one transaction.

**Rules** (a Segment's ``rules``): all must hold, over every customer: one who never
bought has statistics at nothing (0 visits, 0 spent, no last purchase), so "visits at
most 0" finds them. Money is minor units; days count back from today;
``category``/``store`` mean the customer bought some of that category / in that store
(net of refunds, from ``CustomerSpend``, which the reports keep); ``tier`` the loyalty
programme's tier by what they have spent, as the programme has it now.
"""
from datetime import date, timedelta

from peewee import Case, Select, fn

from shared.money import format_money, parse_money
from shared.times import now
from shared.whole_numbers import whole_number

from . import loyalty_program
from .accounts import audit
from .models import CustomerSpend, CustomerStats, Product, RfmScore, Segment, Store

# (label, its test on the scores r, f, m), the first that holds wins.
LABELS = (
    ("champions", lambda r, f, m: (r >= 4) & (f >= 4) & (m >= 4)),
    ("loyal", lambda r, f, m: (r >= 3) & (f >= 4)),
    ("new", lambda r, f, m: (r >= 4) & (f <= 1)),
    ("promising", lambda r, f, m: (r >= 4)),
    ("at_risk", lambda r, f, m: (r <= 2) & (f >= 3)),
    ("lost", lambda r, f, m: (r <= 1)),
    ("needs_attention", lambda r, f, m: (r >= 0)),
)
# Rule fields: (kind, label) — kind says how a form value is read and checked.
RULES = {
    "min_spent": ("money", "Spent at least"), "max_spent": ("money", "Spent at most"),
    "min_visits": ("count", "Visits at least"), "max_visits": ("count", "Visits at most"),
    "active_days": ("count", "Bought in the last … days"),
    "lapsed_days": ("count", "No purchase for … days"),
    "category": ("text", "Bought in category"), "store": ("text", "Bought at store"),
    "rfm": ("label", "RFM segment"), "tier": ("tier", "Loyalty tier"),
}


MAX_AMOUNT = 10**12  # minor units: more than anyone spends, less than a database's integer
# A category or store rule names one the hub knows: in the catalog or the stores, or in
# what customers bought (a category no product has any more).
KNOWN = {"category": (Product.category, CustomerSpend.category),
         "store": (Store.code, CustomerSpend.store)}


class SegmentError(ValueError):
    """A segment that cannot be saved; ``fields`` says which rule and why."""

    def __init__(self, fields):
        super().__init__("; ".join(f"{name}: {why}" for name, why in fields.items()))
        self.fields = fields


def recompute(database):
    """Every customer's RFM scores and segment, from their statistics; how many."""
    stats = CustomerStats
    scored = (stats.select(
        stats.customer,
        fn.NTILE(5).over(order_by=[stats.last_purchase, stats.customer]).alias("r"),
        fn.NTILE(5).over(order_by=[stats.visits, stats.customer]).alias("f"),
        fn.NTILE(5).over(order_by=[stats.spent, stats.customer]).alias("m"))
        .where(stats.last_purchase.is_null(False)))
    inner = scored.alias("scored")
    r, f, m = inner.c.r, inner.c.f, inner.c.m
    label = Case(None, [(test(r, f, m), name) for name, test in LABELS])
    query = Select([inner], [inner.c.customer, r, f, m, label])
    with database.atomic():
        RfmScore.delete().execute()
        RfmScore.insert_from(query, [RfmScore.customer, RfmScore.recency,
                                     RfmScore.frequency, RfmScore.monetary,
                                     RfmScore.label]).execute()
        return RfmScore.select().count()


def rfm_summary():
    """[(label, customers)] of the last computation, biggest first."""
    count = fn.COUNT(RfmScore.customer)
    return list(RfmScore.select(RfmScore.label, count).group_by(RfmScore.label)
                .order_by(count.desc(), RfmScore.label).tuples())


def check(values, exponent=2):
    """The rules of form ``values`` (text), or SegmentError with each field at fault."""
    rules, errors = {}, {}
    labels = {name for name, _ in LABELS}
    for name, (kind, _) in RULES.items():
        text = (values.get(name) or "").strip()
        if not text:
            continue
        if kind == "money":
            try:
                rules[name] = parse_money(text, exponent)
            except ValueError as exc:
                errors[name] = str(exc)
            if rules.get(name, 0) > MAX_AMOUNT:
                errors[name] = f"at most {format_money(MAX_AMOUNT, exponent)}"
        elif kind == "count":
            number = whole_number(text, 100_000)
            if number is None:
                errors[name] = "a whole number from 0 to 100000"
            else:
                rules[name] = number
        elif kind == "label" and text not in labels:
            errors[name] = f"one of {', '.join(sorted(labels))}"
        elif kind == "tier" and text not in tier_names():
            errors[name] = (f"one of {', '.join(tier_names())}" if tier_names()
                            else "the loyalty programme has no tiers")
        elif len(text) > 100:
            errors[name] = "at most 100 characters"
        elif kind == "text" and not _known(name, text):
            errors[name] = f"no {name} {text} in the catalog, stores or sales"
        else:
            rules[name] = text
    for low, high in (("min_spent", "max_spent"), ("min_visits", "max_visits")):
        if low in rules and high in rules and rules[low] > rules[high]:
            errors[high] = "not below the minimum"
    if errors:
        raise SegmentError(errors)
    return rules


def _known(name, text):
    return any(field.model.select().where(field == text).exists()
               for field in KNOWN[name])


def form_values(rules, exponent=2):
    return {name: (format_money(value, exponent) if RULES[name][0] == "money" else str(value))
            for name, value in rules.items()}


def members(rules, today=None):
    """The query of the customers (their statistics) the rules select."""
    today = today or date.today()
    stats = CustomerStats
    query = stats.select()
    conditions = {
        "min_spent": lambda value: stats.spent >= value,
        "max_spent": lambda value: stats.spent <= value,
        "min_visits": lambda value: stats.visits >= value,
        "max_visits": lambda value: stats.visits <= value,
        "active_days": lambda value: stats.last_purchase >= (
            today - timedelta(days=value)).isoformat(),
        "lapsed_days": lambda value: stats.last_purchase < (
            today - timedelta(days=value)).isoformat(),
        "category": lambda value: stats.customer.in_(CustomerSpend.select(
            CustomerSpend.customer).where((CustomerSpend.category == value)
                                          & (CustomerSpend.amount > 0))),
        "store": lambda value: stats.customer.in_(CustomerSpend.select(
            CustomerSpend.customer).where((CustomerSpend.store == value)
                                          & (CustomerSpend.amount > 0))),
        "rfm": lambda value: stats.customer.in_(RfmScore.select(RfmScore.customer).where(
            RfmScore.label == value)),
        "tier": lambda value: _in_tier(stats, value),
    }
    for name, value in rules.items():
        query = query.where(conditions[name](value))
    return query


def tier_names():
    return [tier["name"] for tier in loyalty_program.current().tiers]


def _in_tier(stats, name):
    """The programme's tier ``name`` as a condition on what was spent: from its minimum to
    the next tier's (no one, for a tier the programme no longer has)."""
    tiers = loyalty_program.current().tiers
    for number, tier in enumerate(tiers):
        if tier["name"] == name:
            condition = stats.spent >= tier["min_spent"]
            if number + 1 < len(tiers):
                condition &= stats.spent < tiers[number + 1]["min_spent"]
            return condition
    return stats.customer.is_null()


def count(rules, today=None):
    return members(rules, today).count()


def save(by, name, values, segment=None):
    """Create or update a segment: the Segment, or SegmentError."""
    name = (name or "").strip()
    errors = {}
    if not 1 <= len(name) <= 100:
        errors["name"] = "1-100 characters"
    elif Segment.select().where((Segment.name == name) & (
            Segment.id != (segment.id if segment else -1))).exists():
        errors["name"] = f"{name} is taken by another segment"
    try:
        rules = check(values)
    except SegmentError as exc:
        errors.update(exc.fields)
    if errors:
        raise SegmentError(errors)
    with Segment._meta.database.atomic():
        segment = segment or Segment(updated_by=getattr(by, "username", by))
        before = dict(segment.rules or {}) if segment.id else None
        segment.name, segment.rules = name, rules
        segment.updated_by, segment.updated_at = getattr(by, "username", by), now()
        segment.save()
        audit(by, "segment.update" if before is not None else "segment.create", name,
              {"rules": rules})
    return segment
