"""Sales reports: what the tills sold, by hour, day, store, till, cashier, product and
category, tax by rate, returns, what the customer statistics say (average order value,
repeat rate, churn, lifetime value), and which products are bought together
(``ProductPair``, for ``hub/recommendations.py``).

Reports never read every sale: ``refresh`` counts each sale the ingest received once into
small tables (``SalesHour``, ``ProductDay``, ``TaxDay``), in one transaction with the
mark that it was counted (``ReportedSale``), so a sale is never counted twice and a
report is as fresh as the last refresh (each report page refreshes first). Times are the
tills' completion times, in UTC. Amounts are minor units: sales are what customers paid,
tax included; product amounts are the line prices after discounts; refunds count
against both.
"""
import logging
from datetime import date, timedelta

from peewee import EXCLUDED, JOIN, fn

from .loyalty import survivors_of
from .models import (
    CustomerSpend,
    CustomerStats,
    Product,
    ProductDay,
    ProductPair,
    ReportedSale,
    Sale,
    SalesHour,
    TaxDay,
)

log = logging.getLogger(__name__)
BATCH = 2000
MAX_BASKET_SKUS = 40  # products of one sale paired (40: 780 pairs), the rest not
CHURN_DAYS = 90  # a customer with no purchase for this long counts as churned


class ReportError(ValueError):
    """A report asked for in a way that cannot be answered; the text says why, ``field``
    which of its filters (from, to, store) is at fault."""

    def __init__(self, message, field):
        super().__init__(message)
        self.field = field


def _add(model, key_fields, totals):
    """Add ``totals`` ({key tuple: {field: amount}}) to ``model``'s rows, made if new."""
    if not totals:
        return
    fields = next(iter(totals.values())).keys()
    rows = [{**dict(zip(key_fields, key, strict=True)), **amounts}
            for key, amounts in totals.items()]
    model.insert_many(rows).on_conflict(
        conflict_target=[getattr(model, name) for name in key_fields],
        update={getattr(model, name): getattr(model, name) + EXCLUDED[name]
                for name in fields}).execute()


def _pairs(body, pairs):
    """Each two products of a sale (not a refund), once a sale however many units."""
    skus = sorted({line["sku"] for line in body["result"]["lines"]})[:MAX_BASKET_SKUS]
    for index, first in enumerate(skus):
        for second in skus[index + 1:]:
            pairs.setdefault((first, second), {"count": 0})["count"] += 1


def _spend(sale, categories, spend, survivors):
    """What the sale's customer (or the one it was merged into) spent per category in its
    store (a refund: less)."""
    sign = -1 if sale.kind == "refund" else 1
    customer = survivors.get(sale.customer, sale.customer)
    for line in sale.body["result"]["lines"]:
        key = (customer, sale.store, categories.get(line["sku"]) or "")
        spend.setdefault(key, {"amount": 0})["amount"] += sign * line["net"]


def _count(sale, hours, products, taxes):
    body, sign = sale.body, -1 if sale.kind == "refund" else 1
    completed = body["completed_at"]
    day, hour = completed[:10], int(completed[11:13])
    result = body["result"]
    slot = hours.setdefault((day, hour, sale.store, sale.till, body["cashier"]), {
        "sales": 0, "refunds": 0, "sold": 0, "refunded": 0, "tax": 0})
    if sign > 0:
        slot["sales"] += 1
        slot["sold"] += result["total"]
    else:
        slot["refunds"] += 1
        slot["refunded"] += result["total"]
    slot["tax"] += sign * result["tax_total"]
    for line in result["lines"]:
        units = line["weight_g"] if line.get("weight_g") is not None else line["qty"] or 0
        entry = products.setdefault((day, sale.store, line["sku"]),
                                    {"units": 0, "amount": 0, "returned": 0})
        entry["units"] += sign * units
        entry["amount"] += sign * line["net"]
        if sign < 0:
            entry["returned"] += units
    for tax in result["taxes"]:
        entry = taxes.setdefault((day, sale.store, tax["id"]), {"amount": 0})
        entry["amount"] += sign * tax["amount"]


def _countable(sale):
    """Whether a sale's body has what the counts read. One that has not (a till of another
    version, say) is marked counted and left out, with a warning: it never blocks the
    reports, nor the scheduled work that refreshes them."""
    try:
        body, result = sale.body, sale.body["result"]
        int(body["completed_at"][11:13]), str(body["cashier"])
        int(result["total"]), int(result["tax_total"])
        for line in result["lines"]:
            str(line["sku"]), int(line["net"]), int(line.get("weight_g") or line["qty"] or 0)
        for tax in result["taxes"]:
            str(tax["id"]), int(tax["amount"])
        return True
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        log.warning("sale %s left out of the reports: its body lacks %r", sale.uuid, exc)
        return False


def refresh(database, batch=BATCH):
    """Count the sales not counted yet, ``batch`` at a time; how many were counted."""
    counted = 0
    while True:
        with database.atomic():
            sales = list(Sale.select().join(ReportedSale, JOIN.LEFT_OUTER, on=(
                ReportedSale.sale == Sale.uuid)).where(ReportedSale.sale.is_null())
                .order_by(Sale.received_at).limit(batch))
            if not sales:
                return counted
            marks = [{"sale": sale.uuid} for sale in sales]
            sales = [sale for sale in sales if _countable(sale)]
            hours, products, taxes, pairs, spend = {}, {}, {}, {}, {}
            categories = dict(Product.select(Product.sku, Product.category).where(
                Product.sku.in_(list({line["sku"] for sale in sales
                                      for line in sale.body["result"]["lines"]}))).tuples())
            survivors = survivors_of({sale.customer for sale in sales if sale.customer})
            for sale in sales:
                _count(sale, hours, products, taxes)
                if sale.kind == "sale":
                    _pairs(sale.body, pairs)
                if sale.customer:
                    _spend(sale, categories, spend, survivors)
            # The marks first: a refresh running beside this one fails here, not after
            # adding the same sales again, and its transaction is undone whole.
            ReportedSale.insert_many(marks).execute()
            _add(SalesHour, ("day", "hour", "store", "till", "cashier"), hours)
            _add(ProductDay, ("day", "store", "sku"), products)
            _add(TaxDay, ("day", "store", "rate"), taxes)
            _add(ProductPair, ("a", "b"), pairs)
            _add(CustomerSpend, ("customer", "store", "category"), spend)
        counted += len(marks)


def period(start_text, end_text, today=None):
    """(first day, last day) as ISO dates from form values; the last 30 days by default."""
    today = today or date.today()
    end = _day(end_text, "to") if end_text else today
    try:
        start = _day(start_text, "from") if start_text else end - timedelta(days=29)
    except OverflowError:  # the 30 days before 0001-01-10
        raise ReportError("a last day from 0001-01-30", "to") from None
    if start > end:
        raise ReportError("the first day is after the last", "from")
    if (end - start).days > 3660:
        raise ReportError("at most ten years at a time", "from")
    return start.isoformat(), end.isoformat()


def _day(text, field):
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ReportError("dates are YYYY-MM-DD, e.g. 2026-12-01", field) from None


def _within(model, start, end, store):
    where = (model.day >= start) & (model.day <= end)
    return where & (model.store == store) if store else where


def _hour_rows(group, start, end, store):
    money = (fn.SUM(SalesHour.sales), fn.SUM(SalesHour.refunds), fn.SUM(SalesHour.sold),
             fn.SUM(SalesHour.refunded), fn.SUM(SalesHour.tax))
    query = (SalesHour.select(*group, *money).where(_within(SalesHour, start, end, store))
             .group_by(*group).order_by(*group))
    return [{"key": " ".join(str(part) for part in row[:len(group)]),
             "sales": int(row[-5] or 0), "refunds": int(row[-4] or 0),
             "sold": int(row[-3] or 0), "refunded": int(row[-2] or 0),
             "net": int((row[-3] or 0) - (row[-2] or 0)), "tax": int(row[-1] or 0)}
            for row in query.tuples()]


def sales_by(dimension, start, end, store=None):
    """Rows of sales and refunds by ``dimension``: day, hour, store, till or cashier."""
    group = {"day": (SalesHour.day,), "hour": (SalesHour.hour,),
             "store": (SalesHour.store,), "till": (SalesHour.store, SalesHour.till),
             "cashier": (SalesHour.cashier,)}[dimension]
    return _hour_rows(group, start, end, store)


def summary(start, end, store=None):
    """The period's totals: sales, refunds, net, tax, and the average sale."""
    rows = _hour_rows((), start, end, store)
    total = rows[0] if rows else {"sales": 0, "refunds": 0, "sold": 0, "refunded": 0,
                                  "net": 0, "tax": 0}
    total["average_sale"] = total["sold"] // total["sales"] if total["sales"] else 0
    return total


def products(start, end, store=None, limit=50, by="amount"):
    """The top products by amount (or units), with their names and categories."""
    amount, units = fn.SUM(ProductDay.amount), fn.SUM(ProductDay.units)
    order = amount if by == "amount" else units
    query = (ProductDay.select(ProductDay.sku, units, amount, fn.SUM(ProductDay.returned),
                               Product.name, Product.category)
             .join(Product, JOIN.LEFT_OUTER, on=(Product.sku == ProductDay.sku))
             .where(_within(ProductDay, start, end, store))
             .group_by(ProductDay.sku, Product.name, Product.category)
             .order_by(order.desc(), ProductDay.sku).limit(limit))
    return [{"key": sku, "name": name or sku, "category": category or "",
             "units": int(units or 0), "amount": int(amount or 0),
             "returned": int(returned or 0)}
            for sku, units, amount, returned, name, category in query.tuples()]


def categories(start, end, store=None):
    amount = fn.SUM(ProductDay.amount)
    query = (ProductDay.select(Product.category, fn.SUM(ProductDay.units), amount)
             .join(Product, JOIN.LEFT_OUTER, on=(Product.sku == ProductDay.sku))
             .where(_within(ProductDay, start, end, store))
             .group_by(Product.category))
    found = {}  # no category and an unknown product are alike: "(none)"
    for name, units, total in query.tuples():
        entry = found.setdefault(name or "(none)", {"key": name or "(none)", "units": 0,
                                                   "amount": 0})
        entry["units"] += int(units or 0)
        entry["amount"] += int(total or 0)
    return sorted(found.values(), key=lambda entry: (-entry["amount"], entry["key"]))


def taxes(start, end, store=None):
    amount = fn.SUM(TaxDay.amount)
    query = (TaxDay.select(TaxDay.rate, amount).where(_within(TaxDay, start, end, store))
             .group_by(TaxDay.rate).order_by(TaxDay.rate))
    return [{"key": rate, "amount": int(total or 0)} for rate, total in query.tuples()]


def customers(today=None):
    """What the customer statistics say, all time: customers, repeat rate (share with two
    visits or more), churn (share with no purchase for ``CHURN_DAYS``), and lifetime value
    (what a customer has spent on average, net of refunds)."""
    today = today or date.today()
    cutoff = (today - timedelta(days=CHURN_DAYS)).isoformat()
    count, repeat, churned, spent = CustomerStats.select(
        fn.COUNT(CustomerStats.customer),
        fn.SUM((CustomerStats.visits >= 2).cast("integer")),
        fn.SUM((CustomerStats.last_purchase < cutoff).cast("integer")),
        fn.SUM(CustomerStats.spent)).tuples().get()
    count = count or 0
    return {"customers": count, "churn_days": CHURN_DAYS,
            "repeat_rate": round(100 * (repeat or 0) / count, 1) if count else 0.0,
            "churn_rate": round(100 * (churned or 0) / count, 1) if count else 0.0,
            "lifetime_value": int(spent or 0) // count if count else 0}
