"""Sales reports: what the tills sold, by hour, day, store, till, cashier, product and
category, tax by rate, returns, what the customer statistics say (average order value,
repeat rate, churn, lifetime value), and which products are bought together
(``ProductPair``, for ``hub/recommendations.py``).

Reports never read every sale: ``refresh`` counts each sale the ingest received once into
small tables (``SalesHour``, ``ProductDay``, ``CategoryDay``, ``TaxDay``; a product's
category as it was when counted), in one transaction with the
mark that it was counted (``ReportedSale``), so a sale is never counted twice and a
report is as fresh as the last refresh (the catalog server's scheduled job, every 10
seconds: ``hub/catalog_push.py``; a page never counts inside its request). Times are the
tills' completion times, in UTC. Amounts are minor units: sales are what customers paid,
tax included; product amounts are the line prices after discounts; refunds count
against both.
"""
import logging
from collections import namedtuple
from datetime import date, datetime, timedelta

from peewee import JOIN, SQL, Select, Tuple, fn

from shared.times import now

from .loyalty import survivors_of
from .models import (
    CategoryDay,
    CustomerFigures,
    CustomerSpend,
    CustomerStats,
    Product,
    ProductDay,
    ProductPair,
    ReportedSale,
    ReportFrontier,
    Sale,
    SalesHour,
    TaxDay,
    insert_rows,
)

log = logging.getLogger(__name__)
BATCH = 2000
MAX_BASKET_SKUS = 40  # products of one sale paired (40: 780 pairs), the rest not
CHURN_DAYS = 90  # a customer with no purchase for this long counts as churned
MARGIN = timedelta(hours=1)  # far longer than a sale's transaction stays open


class ReportError(ValueError):
    """A report asked for in a way that cannot be answered; the text says why, ``field``
    which of its filters (from, to, store) is at fault."""

    def __init__(self, message, field):
        super().__init__(message)
        self.field = field


def _add(model, key_fields, totals):
    """Add ``totals`` ({key tuple: {field: amount}}) to ``model``'s rows, made if new."""
    insert_rows(model, [{**dict(zip(key_fields, key, strict=True)), **amounts}
                        for key, amounts in totals.items()], add_on=key_fields)


# What the counts take from a sale: lines as (sku, units, net), taxes as (rate, amount).
Read = namedtuple("Read", "day hour cashier total tax_total lines taxes")


def _read(sale):
    """The sale's ``Read``; KeyError, TypeError, ValueError or IndexError when its body
    lacks some of it (a till of another version, say)."""
    body, result = sale.body, sale.body["result"]
    completed = body["completed_at"]
    lines = [(str(line["sku"]), int(line["weight_g"] if line.get("weight_g") is not None
                                    else line["qty"] or 0), int(line["net"]))
             for line in result["lines"]]
    return Read(completed[:10], int(completed[11:13]), str(body["cashier"]),
                int(result["total"]), int(result["tax_total"]), lines,
                [(str(tax["id"]), int(tax["amount"])) for tax in result["taxes"]])


def _count(sale, read, categories, hours, products, kinds, taxes):
    """The sale added to the hours, products, categories (``kinds``) and taxes."""
    day, hour, cashier, total, tax_total, lines, rates = read
    sign = -1 if sale.kind == "refund" else 1
    slot = hours.setdefault((day, hour, sale.store, sale.till, cashier), {
        "sales": 0, "refunds": 0, "sold": 0, "refunded": 0, "tax": 0})
    if sign > 0:
        slot["sales"] += 1
        slot["sold"] += total
    else:
        slot["refunds"] += 1
        slot["refunded"] += total
    slot["tax"] += sign * tax_total
    for sku, units, net in lines:
        entry = products.setdefault((day, sale.store, sku),
                                    {"units": 0, "amount": 0, "returned": 0})
        entry["units"] += sign * units
        entry["amount"] += sign * net
        if sign < 0:
            entry["returned"] += units
        entry = kinds.setdefault((day, sale.store, categories.get(sku) or ""),
                                 {"units": 0, "amount": 0})
        entry["units"] += sign * units
        entry["amount"] += sign * net
    for rate, amount in rates:
        entry = taxes.setdefault((day, sale.store, rate), {"amount": 0})
        entry["amount"] += sign * amount


def _pairs(lines, pairs):
    """Each two products of a sale (not a refund), once a sale however many units."""
    skus = sorted({sku for sku, _, _ in lines})[:MAX_BASKET_SKUS]
    for index, first in enumerate(skus):
        for second in skus[index + 1:]:
            pairs.setdefault((first, second), {"count": 0})["count"] += 1


def _spend(sale, lines, categories, spend, survivors):
    """What the sale's customer (or the one it was merged into) spent per category in its
    store (a refund: less)."""
    sign = -1 if sale.kind == "refund" else 1
    customer = survivors.get(sale.customer, sale.customer)
    for sku, _, net in lines:
        key = (customer, sale.store, categories.get(sku) or "")
        spend.setdefault(key, {"amount": 0})["amount"] += sign * net


def _readable(sales):
    """[(sale, what the counts take from it)] of the sales that have it; one that has not
    is left out with a warning (and marked counted: it never blocks the reports, nor the
    scheduled work that refreshes them)."""
    out = []
    for sale in sales:
        try:
            out.append((sale, _read(sale)))
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            log.warning("sale %s left out of the reports: its body lacks %r", sale.uuid, exc)
    return out


def _next(after, batch):
    """The next ``batch`` sales received after ``after`` (received_at, uuid), from the
    arrival index: (the last one's key, or None; those of them not counted yet, read
    whole). Two look-ups by key, not an anti-join: its plan on PostgreSQL went by the
    marks' statistics, and marks made since the last ANALYZE made it read them all for
    every sale."""
    keys = list(Sale.select(Sale.received_at, Sale.uuid)
                .where(Tuple(Sale.received_at, Sale.uuid) > Tuple(*after))
                .order_by(Sale.received_at, Sale.uuid).limit(batch).tuples())
    if not keys:
        return None, []
    counted = {sale for (sale,) in ReportedSale.select(ReportedSale.sale).where(
        ReportedSale.sale.in_([uuid for _, uuid in keys])).tuples()}
    new = [uuid for _, uuid in keys if uuid not in counted]
    return keys[-1], list(Sale.select(Sale.uuid, Sale.store, Sale.till, Sale.kind,
                                      Sale.customer, Sale.body)
                          .where(Sale.uuid.in_(new)).namedtuples()) if new else []


def _counted_up_to(received_at):
    """The frontier moved on to ``received_at`` (never back), in the batch's transaction."""
    frontier = ReportFrontier.get_or_none()
    if frontier is None:
        ReportFrontier.create(received_at=received_at)
    elif received_at > frontier.received_at:
        frontier.received_at = received_at
        frontier.save()


def refresh(database, batch=BATCH):
    """Count the sales not counted yet, ``batch`` at a time, then the customer figures;
    how many sales were counted.

    It looks only at the sales received since ``MARGIN`` before the newest one it counted
    last time: a sale's transaction commits within moments of its ``received_at``, so
    any older one is counted already."""
    frontier = ReportFrontier.get_or_none()
    after = (frontier.received_at - MARGIN if frontier else datetime.min, "")
    counted = 0
    while True:
        with database.atomic():
            last, sales = _next(after, batch)
            if last is None:
                ReportFrontier.update(refreshed_at=now()).execute()
                break
            after = last
            marks = [{"sale": sale.uuid} for sale in sales]
            readable = _readable(sales)
            hours, products, kinds, taxes, pairs, spend = {}, {}, {}, {}, {}, {}
            categories = dict(Product.select(Product.sku, Product.category).where(
                Product.sku.in_(list({sku for _, read in readable for sku, _, _ in read.lines})))
                .tuples())
            survivors = survivors_of({sale.customer for sale in sales if sale.customer})
            for sale, read in readable:
                _count(sale, read, categories, hours, products, kinds, taxes)
                if sale.kind == "sale":
                    _pairs(read.lines, pairs)
                if sale.customer:
                    _spend(sale, read.lines, categories, spend, survivors)
            # The marks first: a refresh running beside this one fails here, not after
            # adding the same sales again, and its transaction is undone whole.
            insert_rows(ReportedSale, marks)
            _add(SalesHour, ("day", "hour", "store", "till", "cashier"), hours)
            _add(ProductDay, ("day", "store", "sku"), products)
            _add(CategoryDay, ("day", "store", "category"), kinds)
            _add(TaxDay, ("day", "store", "rate"), taxes)
            _add(ProductPair, ("a", "b"), pairs)
            _add(CustomerSpend, ("customer", "store", "category"), spend)
            _counted_up_to(after[0])
        counted += len(marks)
    # Read outside the write transaction (a big shop's is a scan of every customer).
    figures = customers()
    with database.atomic():
        CustomerFigures.insert(id=1, figures=figures).on_conflict(
            conflict_target=[CustomerFigures.id],
            update={CustomerFigures.figures: figures}).execute()
    return counted


def count_categories(database):
    """Schema version 4: the categories' counts made from the products' counted so far
    (with the categories the products have now)."""
    database.create_tables([CategoryDay])
    category = fn.COALESCE(Product.category, SQL("''"))  # a literal: the same in GROUP BY
    CategoryDay.insert_from(
        ProductDay.select(ProductDay.day, ProductDay.store, category,
                          fn.SUM(ProductDay.units), fn.SUM(ProductDay.amount))
        .join(Product, JOIN.LEFT_OUTER, on=(Product.sku == ProductDay.sku))
        .group_by(ProductDay.day, ProductDay.store, category),
        [CategoryDay.day, CategoryDay.store, CategoryDay.category, CategoryDay.units,
         CategoryDay.amount]).execute()


def customer_figures():
    """``customers()`` as the last refresh counted it; counted now if none has."""
    row = CustomerFigures.get_or_none()
    return row.figures if row else customers()


def freshness():
    """When a refresh of the counts last ended, or None if none has."""
    return ReportFrontier.select(ReportFrontier.refreshed_at).scalar()


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
    """The top products by amount (or units), with their names and categories. Each
    product's days are added up first (from an index that holds their figures), and the
    product table joined to the top ones only."""
    day = ProductDay
    order = fn.SUM(day.amount if by == "amount" else day.units)
    top = (day.select(day.sku, fn.SUM(day.units).alias("units"),
                      fn.SUM(day.amount).alias("amount"), fn.SUM(day.returned).alias("returned"))
           .where(_within(day, start, end, store)).group_by(day.sku)
           .order_by(order.desc(), day.sku).limit(limit).alias("top"))
    query = (Select([top], [top.c.sku, top.c.units, top.c.amount, top.c.returned,
                            Product.name, Product.category])
             .join(Product, JOIN.LEFT_OUTER, on=(Product.sku == top.c.sku))
             .order_by(getattr(top.c, by).desc(), top.c.sku))
    return [{"key": sku, "name": name or sku, "category": category or "",
             "units": int(units or 0), "amount": int(amount or 0),
             "returned": int(returned or 0)}
            for sku, units, amount, returned, name, category
            in query.bind(day._meta.database).tuples()]


def categories(start, end, store=None):
    amount = fn.SUM(CategoryDay.amount)
    query = (CategoryDay.select(CategoryDay.category, fn.SUM(CategoryDay.units), amount)
             .where(_within(CategoryDay, start, end, store)).group_by(CategoryDay.category)
             .order_by(amount.desc(), CategoryDay.category))
    # No category and an unknown product are alike: "(none)".
    return [{"key": name or "(none)", "units": int(units or 0), "amount": int(total or 0)}
            for name, units, total in query.tuples()]


def taxes(start, end, store=None):
    amount = fn.SUM(TaxDay.amount)
    query = (TaxDay.select(TaxDay.rate, amount).where(_within(TaxDay, start, end, store))
             .group_by(TaxDay.rate).order_by(TaxDay.rate))
    return [{"key": rate, "amount": int(total or 0)} for rate, total in query.tuples()]


def customers(today=None):
    """What the customer statistics say, all time, of the customers who bought: how many,
    repeat rate (share with two visits or more), churn (share with no purchase for
    ``CHURN_DAYS``), and lifetime value (what a customer has spent on average, net of
    refunds)."""
    today = today or date.today()
    cutoff = (today - timedelta(days=CHURN_DAYS)).isoformat()
    count, repeat, churned, spent = CustomerStats.select(
        fn.COUNT(CustomerStats.customer),
        fn.SUM((CustomerStats.visits >= 2).cast("integer")),
        fn.SUM((CustomerStats.last_purchase < cutoff).cast("integer")),
        fn.SUM(CustomerStats.spent)).where(
            (CustomerStats.visits > 0) | (CustomerStats.refunds > 0)).tuples().get()
    count = count or 0
    return {"customers": count, "churn_days": CHURN_DAYS,
            "repeat_rate": round(100 * (repeat or 0) / count, 1) if count else 0.0,
            "churn_rate": round(100 * (churned or 0) / count, 1) if count else 0.0,
            "lifetime_value": int(spent or 0) // count if count else 0}
