"""Stock checkpoints on SQLite and PostgreSQL: a checkpoint plus the movements after it is
the sum of the whole ledger, whenever it was refreshed; the stock report's pages, filters
and flags agree with a sum of everything; a refresh never takes in a movement still being
written (PostgreSQL); and the schema step that indexes movements by (store, id)."""
import random
import subprocess
import sys
import threading

import psycopg

from hub import inventory, schema, stock_checkpoints
from hub.models import (
    MODELS,
    Barcode,
    Product,
    StockCheckpoint,
    StockCheckpointLine,
    StockLevel,
    StockMovement,
    insert_rows,
    open_database,
)
from hub.schema import SchemaVersion, upgrade
from hub.stock import on_hand
from shared.barcodes import classify
from tests.broker import ROOT
from tests.edge.conftest import ean13
from tests.postgres import scratch_database

SKUS = [f"SKU{n:03d}" for n in range(40)]


def move(store, sku, quantity, reference, kind="sale"):
    insert_rows(StockMovement, [{"store": store, "sku": sku, "quantity": quantity,
                                 "unit": "pcs", "kind": kind, "reference": reference,
                                 "line": 1, "at": "2026-12-01T10:00:00+00:00"}])


def ledger_sum(store):
    """What the ledger says, summed whole: the definition of on hand."""
    held = {}
    for movement in StockMovement.select().where(StockMovement.store == store):
        held[movement.sku] = held.get(movement.sku, 0) + movement.quantity
    return held


def test_a_checkpoint_and_the_movements_after_it_are_the_whole_sum(hub_db):
    rng = random.Random(7)
    for n in range(600):
        move(rng.choice(("A", "B")), rng.choice(SKUS), rng.randint(-5, 8), f"R{n}")
        if n % 97 == 0:
            stock_checkpoints.refresh(rng.choice(("A", "B")))
        if n % 50 == 0:
            for store in ("A", "B"):
                assert on_hand(store) == ledger_sum(store)
                some = rng.sample(SKUS, 5)
                assert on_hand(store, some) == {sku: quantity for sku, quantity
                                                in ledger_sum(store).items() if sku in some}
    assert stock_checkpoints.refresh_all()["A"] > 0
    assert stock_checkpoints.refresh("A") == 0  # nothing new: nothing added
    assert StockCheckpoint.get(StockCheckpoint.store == "A").through == \
        StockMovement.select().order_by(StockMovement.id.desc()).get().id
    lines = dict(StockCheckpointLine.select(StockCheckpointLine.sku,
                                            StockCheckpointLine.quantity)
                 .where(StockCheckpointLine.store == "A").tuples())
    assert lines == ledger_sum("A") == on_hand("A")
    move("A", "SKU001", -3, "after")
    assert on_hand("A")["SKU001"] == lines["SKU001"] - 3
    assert on_hand("A", []) == {} and on_hand("nowhere") == {}


def test_the_stock_report_pages_filters_and_flags_agree_with_the_whole_sum(hub_db):
    rng = random.Random(3)
    for n, sku in enumerate(SKUS):
        Product.create(sku=sku, name=f"{'Dark chocolate' if n % 4 == 0 else 'Milk'} {n}",
                       tax_class="std", unit_price=100)
    Barcode.create(code=classify(ean13("400000000017")).gtin, product=Product.get_by_id(8))
    for n in range(300):
        move("A", rng.choice(SKUS[:30]), rng.randint(-4, 5), f"R{n}")
        if n == 150:
            stock_checkpoints.refresh("A")
    insert_rows(StockLevel, [{"store": "A", "sku": sku, "reorder_point": 3,
                              "safety_stock": 0} for sku in ("SKU002", "SKU035")])
    move("A", "LOOSE", -2, "unknown-to-the-catalog")
    held = ledger_sum("A")
    every = sorted(set(held) | {"SKU002", "SKU035"})

    # Page by page, three SKUs at a time, every SKU once with what the ledger holds.
    seen, after = [], ""
    while rows := inventory.stock_rows("A", limit=3, after=after):
        seen += rows
        after = rows[-1]["sku"]
    assert [row["sku"] for row in seen] == every
    assert all(row["on_hand"] == held.get(row["sku"], 0) for row in seen)
    assert [row["sku"] for row in inventory.stock_rows("A", flagged=True)] == sorted(
        sku for sku in every if held.get(sku, 0) < 0 or (sku in ("SKU002", "SKU035")
                                                         and held.get(sku, 0) <= 3))
    assert inventory.alerts("A") == {
        "negative": sum(1 for quantity in held.values() if quantity < 0),
        "low": sum(1 for sku in ("SKU002", "SKU035") if held.get(sku, 0) <= 3)}
    # Found as on the products page: words of the name, the SKU, a barcode.
    chocolate = [row["sku"] for row in inventory.stock_rows("A", "CHOC dark")]
    assert chocolate == [sku for sku in every if sku.startswith("SKU")
                         and int(sku[3:]) % 4 == 0]
    assert [row["sku"] for row in inventory.stock_rows("A", "LOOSE")] == ["LOOSE"]
    assert "SKU007" in every
    assert [row["sku"] for row in inventory.stock_rows("A", ean13("400000000017"))] == \
        ["SKU007"]


def test_a_page_refreshes_a_checkpoint_far_behind(hub_db, monkeypatch):
    monkeypatch.setattr(stock_checkpoints, "MAX_PENDING", 5)
    for n in range(5):
        move("A", "SKU001", 1, f"R{n}")
    assert stock_checkpoints.refresh_if_behind("A") == 0
    move("A", "SKU001", 1, "R5")
    assert stock_checkpoints.refresh_if_behind("A") == 6
    assert stock_checkpoints.pending_count("A") == 0 and on_hand("A") == {"SKU001": 6}


def test_a_refresh_waits_for_movements_being_written_or_gives_up():
    """PostgreSQL numbers a movement when it is inserted and it may commit after later
    ones: a refresh must not move past it while its transaction is open."""
    with scratch_database() as url:
        database = open_database(url)
        with database.connection_context():
            move("A", "SKU001", 5, "first")
            with psycopg.connect(url) as other:  # a sale being written meanwhile
                other.execute("INSERT INTO stock_movement (store, sku, quantity, unit, kind, "
                              "reference, line, at) VALUES ('A', 'SKU001', -2, 'pcs', "
                              "'sale', 'open', 1, '2026-12-01T10:00:00+00:00')")
                stock_checkpoints.LOCK_TIMEOUT_MS, timeout = 200, \
                    stock_checkpoints.LOCK_TIMEOUT_MS
                try:
                    assert stock_checkpoints.refresh("A") is None  # gave up: nothing moved
                finally:
                    stock_checkpoints.LOCK_TIMEOUT_MS = timeout
                assert StockCheckpoint.select().count() == 0
                released = threading.Timer(0.3, other.commit)
                released.start()
                assert stock_checkpoints.refresh("A") == 2  # waited for it, then both
                released.join()
            move("A", "SKU001", 1, "later")
            assert on_hand("A") == {"SKU001": 4} == ledger_sum("A")
        database.close()


def test_version_3_indexes_movements_by_store_and_id(hub_db):
    index = "stock_movement_store_id"
    assert index in {row.name for row in hub_db.get_indexes("stock_movement")}
    hub_db.execute_sql(f"DROP INDEX {index}")
    SchemaVersion.delete().execute()
    SchemaVersion.create(version=2)
    move("A", "SKU001", 1, "kept")
    assert upgrade(hub_db, MODELS) == list(range(3, schema.SCHEMA_VERSION + 1))
    assert index in {row.name for row in hub_db.get_indexes("stock_movement")}
    assert on_hand("A") == {"SKU001": 1}


def test_the_periodic_command_moves_every_store_on(tmp_path):
    url = str(tmp_path / "hub.sqlite3")
    database = open_database(url)
    with database.connection_context():
        move("A", "SKU001", 4, "one")
        move("B", "SKU002", -1, "two")
    done = subprocess.run([sys.executable, "-m", "hub", "stock", "checkpoint", "--db", url],
                          cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["A: 1 movements", "B: 1 movements"]
    with database.connection_context():
        assert stock_checkpoints.pending_count("A") == 0 and on_hand("A") == {"SKU001": 4}
