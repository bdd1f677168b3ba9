""""Frequently bought together": the products that most often share a sale with a
product, from the pairs the reports count (``hub/reports.py``), for the admin app's pages
and for the tills, which suggest one to the cashier (``recommendations`` in the catalog).

A pair counts once per sale; only pairs seen in at least ``MIN_SALES`` sales are suggested,
so one odd basket suggests nothing.
"""
from peewee import Case

from .models import ProductPair

MIN_SALES = 2
FOR_TILLS = 3  # suggestions per product in the tills' catalog
MAX_PAIRS = 50_000  # the strongest pairs the tills' suggestions are chosen from


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
