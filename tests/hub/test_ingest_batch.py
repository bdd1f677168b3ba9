"""A batch of messages applied together gives what applying them one by one gives: the
same outcomes, acks, rows and effects, whatever mix of new sales, duplicates (in the batch
and in the store), dead letters and presence it holds; on SQLite and PostgreSQL."""
import pytest

from hub import ingest
from hub.ingest import Ack, apply, apply_batch
from hub.models import (
    CustomerStats,
    DeadLetter,
    LoyaltyEntry,
    Sale,
    SaleCheck,
    StockMovement,
    TillPresence,
)
from tests.hub.test_ingest import TOPIC, presence_message
from tests.hub.test_sale_effects import sale

TABLES = {
    Sale: (Sale.uuid, Sale.seq, Sale.total, Sale.customer),
    StockMovement: (StockMovement.reference, StockMovement.line, StockMovement.sku,
                    StockMovement.quantity),
    SaleCheck: (SaleCheck.sale, SaleCheck.status),
    DeadLetter: (DeadLetter.topic, DeadLetter.error, DeadLetter.payload),
    TillPresence: (TillPresence.store, TillPresence.till, TillPresence.online,
                   TillPresence.bd_seq, TillPresence.last_sale_seq, TillPresence.last_sale_at),
    LoyaltyEntry: (LoyaltyEntry.customer, LoyaltyEntry.sale, LoyaltyEntry.points),
    CustomerStats: (CustomerStats.customer, CustomerStats.visits, CustomerStats.spent,
                    CustomerStats.points, CustomerStats.last_purchase),
}

STORED = sale("s-0", 1, 500, at="2026-11-25T09:00:00+00:00")  # in the store before
# Arriving in the order of their UUIDs, so one by one takes them in the batch's order.
NEW_AND_DUPLICATES = [
    (TOPIC, sale("s-2", 2, 1177)),
    (TOPIC, sale("s-1", 3, 250, customer="C2", at="2026-11-25T11:00:00+00:00")),
    (TOPIC, STORED),                                  # a duplicate of a stored sale
    (TOPIC, sale("s-2", 2, 1177)),                    # a duplicate in the batch
    (TOPIC, b"not json"),                             # a dead letter
    (TOPIC, sale("s-3", 4, 300, customer=None)),
    ("tilly/v1/store-1/T01/birth", presence_message("birth", 5)),
    ("tilly/v1/store-1/T02/sale", sale("s-4", 5, 1)),  # another till's name: dead
]
REFUSED_IN_THE_STORE = [
    (TOPIC, sale("s-5", 6, 900)),
    (TOPIC, sale("s-6", 6, 900)),                     # s-5's number again: dead
    (TOPIC, sale("s-7", 7, 2**70)),                   # no column holds it: dead
    (TOPIC, sale("s-8", 8, 400, customer="C2")),
]


def state():
    return {model.__name__: sorted(model.select(*fields).tuples())
            for model, fields in TABLES.items()}


def clear():
    for model in TABLES:
        model.delete().execute()


def outcomes_one_by_one(hub_db, messages):
    """Each message in a batch of its own, and in a savepoint of its own (never with
    another): the reference."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ingest, "_apply_together", ingest._apply_each)
        return _one_by_one(hub_db, messages)


def _one_by_one(hub_db, messages):
    clear()
    apply(hub_db, TOPIC, STORED)
    outcomes, acks = [], {}
    for message in messages:
        (outcome,), message_acks = apply_batch(hub_db, [message])
        outcomes.append(outcome)
        for key, ack in message_acks.items():
            acks.setdefault(key, Ack()).seqs |= ack.seqs
            acks[key].dead |= ack.dead
    return outcomes, acks, state()


def outcomes_together(hub_db, messages):
    clear()
    apply(hub_db, TOPIC, STORED)
    outcomes, acks = apply_batch(hub_db, messages)
    return outcomes, acks, state()


@pytest.mark.parametrize("messages, one_by_one_after", [
    (NEW_AND_DUPLICATES, False),
    (NEW_AND_DUPLICATES + REFUSED_IN_THE_STORE, True),
    (REFUSED_IN_THE_STORE + NEW_AND_DUPLICATES[::-1], True),
], ids=["together", "refused-by-the-store", "reversed"])
def test_a_batch_gives_what_one_by_one_gives(hub_db, monkeypatch, messages,
                                             one_by_one_after):
    expected = outcomes_one_by_one(hub_db, messages)
    each = []
    apply_each = ingest._apply_each
    monkeypatch.setattr(ingest, "_apply_each",
                        lambda *args: each.append(1) or apply_each(*args))
    assert outcomes_together(hub_db, messages) == expected
    assert bool(each) == one_by_one_after


def test_the_batch_keeps_the_new_sales_and_their_effects(hub_db):
    outcomes, acks, _ = outcomes_together(hub_db, NEW_AND_DUPLICATES)
    assert outcomes == ["applied", "applied", "duplicate", "duplicate", "dead", "applied",
                        "applied", "dead"]
    assert acks[("store-1", "T01")].seqs == {1, 2, 3, 4}
    assert acks[("store-1", "T01")].dead == set()
    assert acks[("store-1", "T02")].seqs == {5} and acks[("store-1", "T02")].dead == {5}
    assert Sale.select().count() == 4
    assert SaleCheck.select().count() == 4
    assert StockMovement.select().where(StockMovement.reference == "s-2").count() == 2
    stats = CustomerStats.get(CustomerStats.customer == "C1")
    assert (stats.visits, stats.spent) == (2, 1677)
    presence = TillPresence.get(TillPresence.till == "T01")
    assert (presence.last_sale_seq, presence.online) == (4, True)
    assert presence.last_sale_at == "2026-11-25T11:00:00+00:00"
