""""Frequently bought together": the products that most often share a sale with a
product, from the pairs the reports count (``hub/reports.py``), for the admin app's pages
and for the tills, which suggest one to the cashier (``recommendations`` in the catalog).

A pair counts once per sale; only pairs seen in at least ``MIN_SALES`` sales are suggested,
so one odd basket suggests nothing.

For a customer (``for_customer``), what their latest ``RECENT_SALES`` sales held suggests
the rest: each product they bought weighs as many of those sales as it was in, so what
they buy again and again leads. Two bounded queries whatever the customer's history (their
latest sales by the ``sale_customer`` index; the pairs of at most ``MAX_BOUGHT`` products,
the strongest ``MAX_CANDIDATES``), for a page that stays quick at millions of sale lines.
"""
from peewee import JOIN, SQL, Case

from .customers import codes_of
from .models import Product, ProductPair, Sale

MIN_SALES = 2
FOR_TILLS = 3  # suggestions per product in the tills' catalog
MAX_PAIRS = 50_000  # the strongest pairs the tills' suggestions are chosen from
RECENT_SALES = 30  # a customer's latest sales their suggestions come from
MAX_BOUGHT = 40  # of the products in them, those bought most often
MAX_CANDIDATES = 1000  # the strongest pairs of those the suggestions are scored from


def bought_with(sku, limit=5, min_sales=MIN_SALES):
    """[(other sku, sales with both)], the strongest first."""
    other = Case(None, ((ProductPair.a == sku, ProductPair.b),), ProductPair.a)
    query = (ProductPair.select(other, ProductPair.count)
             .where(((ProductPair.a == sku) | (ProductPair.b == sku))
                    & (ProductPair.count >= min_sales))
             .order_by(ProductPair.count.desc(), other).limit(limit))
    return list(query.tuples())


def for_tills(skus, limit=FOR_TILLS, min_sales=MIN_SALES):
    """{sku: [other skus]} of the strongest pairs, for the products in ``skus`` (a set)."""
    found = {}
    query = (ProductPair.select(ProductPair.a, ProductPair.b)
             .where(ProductPair.count >= min_sales)
             .order_by(ProductPair.count.desc(), ProductPair.a, ProductPair.b)
             .limit(MAX_PAIRS))
    for first, second in query.tuples():
        if first in skus and second in skus:
            for sku, other in ((first, second), (second, first)):
                chosen = found.setdefault(sku, [])
                if len(chosen) < limit:
                    chosen.append(other)
    return found


def for_customer(customer, limit=5, min_sales=MIN_SALES):
    """[(sku, name, because sku, because name)] for ``customer`` (their sales under an id
    merged into theirs too), the best first: active products often bought with
    what they bought of late, and not among it. None for an erased customer: what they
    bought no longer says anything about a person."""
    if customer.erased_at is not None:
        return []
    weights = _bought(codes_of(customer))
    if not weights:
        return []
    scores, reasons = {}, {}
    for bought, other, count, name, because in _pairs_of(list(weights), min_sales):
        score = weights[bought] * count
        scores[other] = scores.get(other, 0) + score
        if score > reasons.get(other, (0,))[0]:
            reasons[other] = (score, name, bought, because or bought)
    best = sorted(scores, key=lambda sku: (-scores[sku], sku))[:limit]
    return [(sku, *reasons[sku][1:]) for sku in best]


def _bought(codes):
    """{sku: in how many of the customer's latest sales}, the ``MAX_BOUGHT`` most often
    bought."""
    counts = {}
    for (body,) in (Sale.select(Sale.body).where(Sale.customer.in_(codes)
                                                 & (Sale.kind == "sale"))
                    .order_by(Sale.completed_at.desc()).limit(RECENT_SALES).tuples()):
        lines = (body.get("result") or {}).get("lines") or []
        for sku in {line.get("sku") for line in lines} - {None}:
            counts[sku] = counts.get(sku, 0) + 1
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:MAX_BOUGHT])


def _pairs_of(skus, min_sales):
    """(bought sku, other sku, sales with both, other's name, bought's name) of the
    strongest pairs of ``skus`` with a product not among them, those still sold. The
    pairs are chosen first, by their indexes, and only then is a product looked up for
    each: joined before, PostgreSQL would read the whole product table."""
    def half(mine, theirs):
        return (ProductPair.select(mine.alias("bought"), theirs.alias("other"),
                                   ProductPair.count)
                .where(mine.in_(skus) & theirs.not_in(skus)
                       & (ProductPair.count >= min_sales)))

    top = (half(ProductPair.a, ProductPair.b) + half(ProductPair.b, ProductPair.a)).order_by(
        SQL("3 DESC"), SQL("1"), SQL("2")).limit(MAX_CANDIDATES).alias("top")
    other, because = Product.alias(), Product.alias()
    return list(other.select(top.c.bought, top.c.other, top.c.count, other.name, because.name)
                .from_(top).join(other, on=(other.sku == top.c.other))
                .join(because, JOIN.LEFT_OUTER, on=(because.sku == top.c.bought), src=top)
                .where(other.active)
                .order_by(top.c.count.desc(), top.c.bought, top.c.other).tuples())
