"""The loyalty programme: how many points a sale earns, the tiers that multiply them, the
categories that earn a bonus, and when points expire; checked and saved from the admin
app, and applied by the ingest (``hub/loyalty.py``) and the expiry job.

Points are a floor of an exact fraction (multipliers are decimals such as "1.5", read
with ``Fraction``, never floats): a sale of ``total`` (less what was paid with points)
earns ``floor(total × bonus ×
tier / minor_per_point)``, where the bonus is the average of its lines' category bonuses
weighted by their amounts, and the tier is the customer's by what they have spent (net,
all time) before the sale. A refund takes back its share of what the original sale
earned (``floor(earned × refunded / total)``), never more, however many refunds there are.
Points expire ``expiry_days`` after they were earned, oldest first: what a customer used
(refunds, redemptions, earlier expiries) counts against the oldest points.
"""
import re
import time
import uuid
from datetime import date, timedelta
from fractions import Fraction

from peewee import Case, fn

from shared.money import format_money, parse_money
from shared.times import now
from shared.whole_numbers import whole_number

from .accounts import audit
from .models import CustomerStats, LoyaltyEntry, LoyaltyProgram, Product, Sale

_MULTIPLIER = re.compile(r"\d{1,2}(?:\.\d{1,2})?")
MAX_TIERS = MAX_BONUSES = 5
MAX_SPENT = 10**12  # minor units: a tier past it no one reaches, nor a database's integer
CACHE_S = 5.0  # the ingest reads the programme at most this often
_cache = {"at": 0.0, "program": None}


class ProgramError(ValueError):
    def __init__(self, fields):
        super().__init__("; ".join(f"{name}: {why}" for name, why in fields.items()))
        self.fields = fields


def current():
    """The programme (its one row, made with the defaults if need be)."""
    program = LoyaltyProgram.select().order_by(LoyaltyProgram.id).first()
    return program or LoyaltyProgram.create()


def cached():
    """The programme as the ingest uses it: read again every ``CACHE_S``."""
    if _cache["program"] is None or time.monotonic() - _cache["at"] > CACHE_S:
        _cache.update(program=current(), at=time.monotonic())
    return _cache["program"]


def tier_of(program, spent):
    """The tier a customer who has spent ``spent`` is in: its dict, or None."""
    reached = [tier for tier in program.tiers if spent >= tier["min_spent"]]
    return reached[-1] if reached else None


def earned(program, body, spent_before):
    """Points a completed sale (a message body) earns its customer."""
    # What was paid with points earns none.
    total = body["result"]["total"] - sum(
        payment["amount"] for payment in body["payments"]
        if payment.get("type") == "points" and payment["amount"] > 0)
    if total <= 0:
        return 0
    bonus = Fraction(1)
    if program.bonuses:
        by_category = {entry["category"]: Fraction(entry["multiplier"])
                       for entry in program.bonuses}
        lines = body["result"]["lines"]
        categories = dict(Product.select(Product.sku, Product.category).where(
            Product.sku.in_([line["sku"] for line in lines])).tuples())
        weight = sum(max(line["net"], 0) for line in lines)
        if weight:
            bonus = sum(max(line["net"], 0) * by_category.get(categories.get(line["sku"]),
                                                              Fraction(1))
                        for line in lines) / weight
    tier = tier_of(program, spent_before)
    multiplier = Fraction(tier["multiplier"]) if tier else Fraction(1)
    return int(total * bonus * multiplier / program.minor_per_point)


def taken_back(program, body, spent_before):
    """Points a refund takes back: its share of what its original sale earned, or, when
    the hub has not got the original, what the same amount would earn."""
    original = body.get("original")
    sale = Sale.get_or_none(Sale.uuid == original) if original else None
    entry = LoyaltyEntry.get_or_none(LoyaltyEntry.sale == original) if original else None
    if sale is None or entry is None:
        return earned(program, body, spent_before)
    if sale.total <= 0:
        return 0
    return entry.points * min(body["result"]["total"], sale.total) // sale.total


def expire(database, today=None):
    """Take away the points earned before the expiry window that are still unused, as one
    entry per customer; how many points expired."""
    program = current()
    if not program.expiry_days:
        return 0
    today = today or date.today()
    cutoff = (today - timedelta(days=program.expiry_days)).isoformat()
    entry = LoyaltyEntry
    old = fn.SUM(_case((entry.points > 0) & (entry.at < cutoff), entry.points))
    used = fn.SUM(_case(entry.points < 0, entry.points * -1))  # (-field: "DESC")
    expired = 0
    with database.atomic():
        rows = (entry.select(entry.customer, old, used).group_by(entry.customer)
                .having(old - used > 0).tuples())
        for customer, earned_before, used_points in list(rows):
            due = int(earned_before) - int(used_points or 0)
            LoyaltyEntry.create(customer=customer, sale=f"expire:{customer}:{uuid.uuid4()}",
                                store="", points=-due, at=today.isoformat())
            CustomerStats.update(points=CustomerStats.points - due).where(
                CustomerStats.customer == customer).execute()
            expired += due
    return expired


def _case(condition, value):
    return Case(None, [(condition, value)], 0)


def form_values(program):
    values = {"minor_per_point": format_money(program.minor_per_point),
              "expiry_days": str(program.expiry_days),
              "redeem_value": format_money(program.redeem_value)}
    for number in range(MAX_TIERS):
        tier = program.tiers[number] if number < len(program.tiers) else None
        values[f"tier{number}_name"] = tier["name"] if tier else ""
        values[f"tier{number}_min_spent"] = format_money(tier["min_spent"]) if tier else ""
        values[f"tier{number}_multiplier"] = tier["multiplier"] if tier else ""
    for number in range(MAX_BONUSES):
        bonus = program.bonuses[number] if number < len(program.bonuses) else None
        values[f"bonus{number}_category"] = bonus["category"] if bonus else ""
        values[f"bonus{number}_multiplier"] = bonus["multiplier"] if bonus else ""
    return values


def _multiplier(text, field, errors):
    if not _MULTIPLIER.fullmatch(text) or not Fraction(1) <= Fraction(text) <= 10:
        errors[field] = "a multiplier from 1 to 10, e.g. 1.5"
        return None
    return text


def _tiers(values, errors):
    """The form's tiers, lowest first; what is wrong with them into ``errors``."""
    tiers = []
    for number in range(MAX_TIERS):
        name = (values.get(f"tier{number}_name") or "").strip()
        spent = (values.get(f"tier{number}_min_spent") or "").strip()
        multiplier = (values.get(f"tier{number}_multiplier") or "").strip()
        if not (name or spent or multiplier):
            continue
        if not 1 <= len(name) <= 40:
            errors[f"tier{number}_name"] = "1-40 characters"
        elif name.casefold() in {tier["name"].casefold() for tier in tiers}:
            errors[f"tier{number}_name"] = f"another tier is named {name}"
        try:
            spent = parse_money(spent)
            if spent > MAX_SPENT:
                raise ValueError(f"at most {format_money(MAX_SPENT)}")
        except ValueError as exc:
            errors[f"tier{number}_min_spent"] = str(exc)
        multiplier = _multiplier(multiplier, f"tier{number}_multiplier", errors)
        tiers.append({"name": name, "min_spent": spent, "multiplier": multiplier})
    if not errors and [t["min_spent"] for t in tiers] != sorted({t["min_spent"]
                                                                 for t in tiers}):
        errors["tier0_min_spent"] = "tiers go up: each needs more spent than the one before"
    return tiers


def _bonuses(values, errors):
    """The form's category bonuses, each of a category products have, once; what is
    wrong with them into ``errors``."""
    bonuses = []
    for number in range(MAX_BONUSES):
        category = (values.get(f"bonus{number}_category") or "").strip()
        multiplier = (values.get(f"bonus{number}_multiplier") or "").strip()
        if not (category or multiplier):
            continue
        field = f"bonus{number}_category"
        if not 1 <= len(category) <= 100:
            errors[field] = "a product category"
        elif category in {bonus["category"] for bonus in bonuses}:
            errors[field] = f"{category} has a bonus above"
        elif not Product.select().where(Product.category == category).exists():
            errors[field] = f"no product has the category {category}"
        bonuses.append({"category": category,
                        "multiplier": _multiplier(multiplier, f"bonus{number}_multiplier",
                                                  errors)})
    return bonuses


def save(by, values):
    """Check and save the programme from form values; ProgramError with the fields."""
    errors = {}
    try:
        minor_per_point = parse_money(values.get("minor_per_point", ""))
        if not 1 <= minor_per_point <= 10**6:
            raise ValueError("from 0.01")
    except ValueError as exc:
        errors["minor_per_point"] = f"the amount that earns a point: {exc}"
        minor_per_point = None
    try:
        redeem_value = parse_money(values.get("redeem_value") or "0")
        if redeem_value > 10**6:
            raise ValueError("at most 10000.00")
    except ValueError as exc:
        errors["redeem_value"] = f"what a point pays at a till (0: points are not spent): {exc}"
        redeem_value = None
    days = (values.get("expiry_days") or "0").strip()
    if whole_number(days, 3650) is None:
        errors["expiry_days"] = "days from 0 (never) to 3650"
    tiers, bonuses = _tiers(values, errors), _bonuses(values, errors)
    if errors:
        raise ProgramError(errors)
    with LoyaltyProgram._meta.database.atomic():
        program = current()
        program.minor_per_point, program.expiry_days = minor_per_point, int(days)
        program.redeem_value = redeem_value
        program.tiers, program.bonuses = tiers, bonuses
        program.updated_by, program.updated_at = getattr(by, "username", by), now()
        program.save()
        audit(by, "loyalty.update", "", {"minor_per_point": minor_per_point,
                                         "redeem_value": redeem_value,
                                         "expiry_days": int(days), "tiers": tiers,
                                         "bonuses": bonuses})
    _cache["program"] = None
    return program


def tier_counts(program):
    """[(tier name, customers)] of the programme, the lowest first (None: no tier)."""
    at_least = [int(value or 0) for value in CustomerStats.select(
        fn.COUNT(CustomerStats.customer),
        *(fn.SUM(_case(CustomerStats.spent >= tier["min_spent"], 1))
          for tier in program.tiers)).tuples().get()]
    counts = [count - above for count, above in zip(at_least, [*at_least[1:], 0],
                                                    strict=True)]
    return [(None, counts[0]), *((tier["name"], count)
                                 for tier, count in zip(program.tiers, counts[1:],
                                                        strict=True))]
