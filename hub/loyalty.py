"""Loyalty points and customer statistics, earned from the sales the tills send.

Both are written in the transaction that applies a sale at the hub (``hub/ingest.py``),
so points are counted once per sale however often it arrives; an entry's unique
``sale`` is the second guard. How many points a sale earns, and a refund takes back, is
the loyalty programme's (``hub/loyalty_program.py``): by default a point per whole
currency unit paid, and a refund never takes back more than its sale earned.

A sale names the customer by the id its till knew; one merged into another customer since
(``hub/customers.py``) counts for the survivor, so a late sale, or one made at a till
whose catalog still had the old card, lands with the customer who survived the merge.
"""
import functools

from peewee import Case, fn

from . import loyalty_program
from .models import Customer, CustomerAlias, CustomerStats, LoyaltyEntry


def record_sale(store, body):
    """Points and statistics of a completed sale or refund with a customer (inside the
    caller's transaction); a sale without a customer changes nothing."""
    customer = body["customer"]
    if not customer:
        return
    customer = survivor_of(customer)
    refund = body["kind"] == "refund"
    total = body["result"]["total"]
    program = loyalty_program.cached()
    spent_before = CustomerStats.select(CustomerStats.spent).where(
        CustomerStats.customer == customer).scalar() or 0 if program.tiers else 0
    points = (-loyalty_program.taken_back(program, body, spent_before) if refund
              else loyalty_program.earned(program, body, spent_before))
    at = body["completed_at"]
    if points:
        LoyaltyEntry.create(customer=customer, sale=body["uuid"], store=store, points=points,
                            at=at)
    stats = CustomerStats
    if refund:
        update = {stats.refunds: stats.refunds + 1}
    else:
        # Sales may arrive out of order: the earliest and the latest purchase win.
        earlier = stats.first_purchase.is_null() | (stats.first_purchase > at)
        later = stats.last_purchase.is_null() | (stats.last_purchase < at)
        update = {stats.visits: stats.visits + 1,
                  stats.first_purchase: Case(None, [(earlier, at)], stats.first_purchase),
                  stats.last_purchase: Case(None, [(later, at)], stats.last_purchase),
                  stats.last_store: Case(None, [(later, store)], stats.last_store)}
    spent = -total if refund else total
    update.update({stats.spent: stats.spent + spent, stats.points: stats.points + points})
    first = {} if refund else {"first_purchase": at, "last_purchase": at, "last_store": store}
    (stats.insert(customer=customer, visits=int(not refund), refunds=int(refund), spent=spent,
                  points=points, **first)
     .on_conflict(conflict_target=[stats.customer], update=update).execute())


def survivor_of(customer):
    """The id a customer's points and statistics count under: its own, or that of the
    customer it was merged into. One primary-key look-up, its SQL built once: peewee
    building it anew cost 60 times the look-up, per sale."""
    database = CustomerAlias._meta.database
    row = database.execute_sql(_survivor_sql(database), (customer,)).fetchone()
    return row[0] if row else customer


@functools.cache
def _survivor_sql(database):
    return (Customer.select(Customer.code).join(CustomerAlias)
            .where(CustomerAlias.code == "").sql()[0])


def survivors_of(customers):
    """{id: the survivor's id} for those of ``customers`` merged into another (one query
    for a batch of sales)."""
    return dict(CustomerAlias.select(CustomerAlias.code, Customer.code).join(Customer)
                .where(CustomerAlias.code.in_(list(customers))).tuples())


def balance(customer):
    """The customer's points: the sum of their entries."""
    return (LoyaltyEntry.select(fn.COALESCE(fn.SUM(LoyaltyEntry.points), 0))
            .where(LoyaltyEntry.customer == customer).scalar())
