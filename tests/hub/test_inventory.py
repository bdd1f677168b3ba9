"""Inventory on the one stock ledger, on SQLite and PostgreSQL: purchase orders received in
parts, transfers, adjustments, stocktakes with sales during the count, low stock and
reorder suggestions; a change with anything wrong in it writes nothing."""
import threading
from datetime import timedelta

import pytest

from hub import inventory, purchasing
from hub.ingest import apply
from hub.inventory import InventoryError
from hub.models import (
    Barcode,
    Product,
    PurchaseOrder,
    PurchaseOrderLine,
    StockMovement,
    StocktakeCount,
    Store,
    TillPresence,
    User,
)
from hub.stock import on_hand
from shared.barcodes import classify
from shared.times import iso, now
from tests.edge.conftest import ean13
from tests.hub.test_ingest import TOPIC
from tests.hub.test_sale_effects import sale

MILK_CODE = ean13("400000000002")


def milk_sold(qty):
    return [{"position": 1, "sku": "MILK", "qty": qty, "weight_g": None, "unit_price": 119,
             "voided": False}]


@pytest.fixture
def shop(hub_db):
    """Two stores, milk (with a barcode), cheese by weight and bread; a manager."""
    for store in ("store-1", "store-2"):
        TillPresence.create(store=store, till="T01")
    milk = Product.create(sku="MILK", name="Milk", category="Dairy", tax_class="std",
                          unit_price=119)
    Barcode.create(code=classify(MILK_CODE).gtin, product=milk)
    Product.create(sku="CHEESE", name="Cheese", category="Dairy", tax_class="std",
                   sold_by="weight", unit_price=1990)
    Product.create(sku="BREAD", name="Bread", category="Bakery", tax_class="std",
                   unit_price=250)
    return User.create(username="sam", name="Sam", role="store_manager", password_hash="-")


def test_a_purchase_order_is_received_in_parts_and_never_over_unless_confirmed(shop):
    supplier = purchasing.create_supplier(shop, "Dairy Co", "orders@dairy.example", "3")
    order = purchasing.create_order(shop, str(supplier.id), "store-1")
    purchasing.add_line(shop, order, MILK_CODE, "24", "0.61")  # found by its barcode
    purchasing.add_line(shop, order, "CHEESE", "5000", "11.20")  # 5 kg at 11.20 a kg
    assert purchasing.order_total(order) == 24 * 61 + 5600
    with pytest.raises(InventoryError, match="not sent|draft"):
        purchasing.receive(shop, order, {1: "1"})
    purchasing.send(shop, order)
    assert inventory.on_order("store-1") == {"MILK": 24, "CHEESE": 5000}

    order = purchasing.receive(shop, order, {1: "10", 2: ""})
    assert order.state == "partially_received"
    assert on_hand("store-1") == {"MILK": 10}
    assert inventory.on_order("store-1") == {"MILK": 14, "CHEESE": 5000}

    with pytest.raises(InventoryError, match=r"more than ordered: line 1 \(MILK\): 20 pcs "
                                             "received, 14 awaited"):
        purchasing.receive(shop, order, {1: "20", 2: "5000"})
    with pytest.raises(InventoryError, match="line 2 .*not a whole number"):
        purchasing.receive(shop, order, {1: "14", 2: "5 kg"})
    with pytest.raises(InventoryError, match="nothing to receive"):
        purchasing.receive(shop, order, {1: "0", 2: " "})
    assert on_hand("store-1") == {"MILK": 10}  # none of those wrote anything
    assert PurchaseOrder.get_by_id(order.id).receipts == 1

    order = purchasing.receive(shop, order, {1: "15", 2: "5000"}, confirm_over=True)
    assert order.state == "received" and order.closed_at is not None
    assert on_hand("store-1") == {"MILK": 25, "CHEESE": 5000}
    assert inventory.on_order("store-1") == {}
    assert [(m.reference, m.line, m.quantity, m.unit) for m in purchasing.receipts(order)] \
        == [("PO-00001/R1", 1, 10, "pcs"), ("PO-00001/R2", 1, 15, "pcs"),
            ("PO-00001/R2", 2, 5000, "g")]
    with pytest.raises(InventoryError, match="received"):
        purchasing.cancel(shop, order)


def test_orders_refuse_junk_and_only_drafts_change(shop):
    with pytest.raises(InventoryError, match="lead time"):
        purchasing.create_supplier(shop, "Bakers", "", "soon")
    supplier = purchasing.create_supplier(shop, "Bakers", "", "2")
    with pytest.raises(InventoryError, match="already"):
        purchasing.create_supplier(shop, "Bakers", "", "2")
    with pytest.raises(InventoryError, match="not a store"):
        purchasing.create_order(shop, supplier.id, "store-9")
    order = purchasing.create_order(shop, supplier.id, "store-2")
    for code, quantity, cost, message in [("CAVIAR", "1", "1", "no product"),
                                          ("BREAD", "-3", "1", "not below zero"),
                                          ("BREAD", "3", "1.234", "at most 2 decimals"),
                                          ("BREAD", "3", "", "not an amount")]:
        with pytest.raises(InventoryError, match=message):
            purchasing.add_line(shop, order, code, quantity, cost)
    with pytest.raises(InventoryError, match="no lines"):
        purchasing.send(shop, order)
    purchasing.add_line(shop, order, "BREAD", "30", "0.90")
    purchasing.send(shop, order)
    with pytest.raises(InventoryError, match="sent"):
        purchasing.add_line(shop, order, "BREAD", "1", "1")
    assert purchasing.cancel(shop, order).state == "cancelled"
    assert inventory.on_order("store-2") == {}


def test_transfers_adjustments_and_sales_share_one_ledger_and_negatives_are_flagged(shop):
    apply(shop._meta.database, TOPIC, sale("s-1", 1, 238, lines=milk_sold(2)))
    inventory.adjust(shop, "store-1", "MILK", "12", "opening stock")
    document = inventory.transfer(shop, "store-1", "store-2", "MILK 4\n\nCHEESE 700\n")
    assert document.number == "TR-00002"
    assert on_hand("store-1") == {"MILK": 6, "CHEESE": -700}
    assert on_hand("store-2") == {"MILK": 4, "CHEESE": 700}
    rows = {row["sku"]: row for row in inventory.stock_rows("store-1")}
    assert rows["CHEESE"]["negative"] and not rows["MILK"]["negative"]
    assert [row["sku"] for row in inventory.stock_rows("store-1", flagged=True)] == ["CHEESE"]
    assert [m.kind for m in inventory.movements("store-1", "MILK")] == \
        ["transfer", "adjustment", "sale"]
    Store.create(code="store-3", name="New store")  # in the catalog before any till
    inventory.transfer(shop, "store-2", "store-3", "MILK 1")
    assert on_hand("store-3") == {"MILK": 1}

    before = StockMovement.select().count()
    with pytest.raises(InventoryError, match="line 1: no product .*; line 2: .*whole number"):
        inventory.transfer(shop, "store-1", "store-2", "CAVIAR 1\nMILK lots\nBREAD 2")
    with pytest.raises(InventoryError, match="other than"):
        inventory.transfer(shop, "store-2", "store-2", "MILK 1")
    with pytest.raises(InventoryError, match="not zero"):
        inventory.adjust(shop, "store-1", "MILK", "0", "nothing")
    with pytest.raises(InventoryError, match="reason"):
        inventory.adjust(shop, "store-1", "MILK", "-1", " ")
    assert StockMovement.select().count() == before


def test_a_stocktake_counts_sales_made_during_it_once(shop):
    database = shop._meta.database
    inventory.adjust(shop, "store-1", "MILK", "10", "opening stock")
    inventory.adjust(shop, "store-1", "CHEESE", "2000", "opening stock")
    inventory.adjust(shop, "store-1", "BREAD", "5", "opening stock")
    StockMovement.update(at="2026-12-01T08:00:00+00:00").execute()
    stocktake = inventory.start_stocktake(shop, "store-1", "Dairy")
    stocktake.started_at = "2026-12-01T09:00:00+00:00"
    stocktake.save()
    with pytest.raises(InventoryError, match="under way"):
        inventory.start_stocktake(shop, "store-1", "")
    with pytest.raises(InventoryError, match="not in Dairy"):
        inventory.count(shop, stocktake, "BREAD", "5")
    with pytest.raises(InventoryError, match="whole number"):
        inventory.count(shop, stocktake, "MILK", "seven")

    # Two milks sold during the count, before the milk was counted: the count has them
    # gone. One sold after the milk was counted is still on the shelf in the count.
    apply(database, TOPIC, sale("s-1", 1, 238, lines=milk_sold(2),
                                at="2026-12-01T09:05:00+00:00"))
    inventory.count(shop, stocktake, MILK_CODE, "7")
    inventory.count(shop, stocktake, "CHEESE", "1950")
    StocktakeCount.update(counted_at="2026-12-01T09:10:00+00:00").execute()
    apply(database, TOPIC, sale("s-2", 2, 119, lines=milk_sold(1),
                                at="2026-12-01T09:20:00+00:00"))
    # A till offline during the count sends a sale made before the milk was counted.
    apply(database, TOPIC, sale("s-3", 3, 119, lines=milk_sold(1),
                                at="2026-12-01T09:07:00+00:00"))
    rows = {row.sku: row for row in inventory.variances(stocktake)}
    assert (rows["MILK"].before, rows["MILK"].during, rows["MILK"].expected,
            rows["MILK"].variance) == (10, -3, 7, 0)
    assert (rows["CHEESE"].expected, rows["CHEESE"].variance) == (2000, -50)
    assert inventory.uncounted(stocktake) == []

    inventory.approve(shop, stocktake)
    assert on_hand("store-1") == {"MILK": 6, "CHEESE": 1950, "BREAD": 5}
    written = StockMovement.select().where(StockMovement.kind == "stocktake")
    assert [(m.sku, m.quantity, m.reference) for m in written] == \
        [("CHEESE", -50, "ST-00001")]
    assert {row.sku: row.variance for row in inventory.variances(stocktake)} == \
        {"MILK": 0, "CHEESE": -50}
    with pytest.raises(InventoryError, match="approved"):
        inventory.approve(shop, stocktake)
    with pytest.raises(InventoryError, match="approved"):
        inventory.count(shop, stocktake, "MILK", "1")


def test_low_stock_and_reorder_suggestions_from_sales_velocity(shop):
    database = shop._meta.database
    supplier = purchasing.create_supplier(shop, "Dairy Co", "", "7")
    inventory.set_level(shop, "store-1", "MILK", "6", "3", str(supplier.id))
    inventory.set_level(shop, "store-1", "BREAD", "2", "", "")
    with pytest.raises(InventoryError, match="supplier"):
        inventory.set_level(shop, "store-1", "BREAD", "2", "", "99")
    with pytest.raises(InventoryError, match="reorder point"):
        inventory.set_level(shop, "store-1", "BREAD", "two", "", "")
    inventory.adjust(shop, "store-1", "MILK", "33", "opening stock")
    inventory.adjust(shop, "store-1", "BREAD", "9", "opening stock")
    apply(database, TOPIC, sale("s-1", 1, 0, lines=milk_sold(28),
                                at=iso(now() - timedelta(days=3))))
    apply(database, TOPIC, sale("s-0", 2, 0, lines=milk_sold(50),
                                at=iso(now() - timedelta(days=40))))  # outside the window
    order = purchasing.create_order(shop, supplier.id, "store-1")
    purchasing.add_line(shop, order, "MILK", "2", "0.60")
    purchasing.send(shop, order)
    rows = {row["sku"]: row for row in inventory.reorder("store-1")}
    milk = rows["MILK"]
    assert (milk["on_hand"], milk["on_order"], milk["sold"], milk["lead_days"]) == \
        (-45, 2, 28, 7)
    # 28 sold in 28 days: 1 a day × 7 days + 3 safety − (−45) on hand − 2 on order
    assert milk["low"] and milk["negative"] and milk["suggested"] == 7 + 3 + 45 - 2
    assert not rows["BREAD"]["low"] and rows["BREAD"]["suggested"] == 0
    assert [row["sku"] for row in inventory.reorder("store-1")] == ["MILK", "BREAD"]


def test_two_receipts_at_once_never_take_in_more_than_ordered(shop):
    database = shop._meta.database
    supplier = purchasing.create_supplier(shop, "Dairy Co", "", "3")
    order = purchasing.create_order(shop, supplier.id, "store-1")
    purchasing.add_line(shop, order, "MILK", "5", "0.60")
    purchasing.send(shop, order)
    database.close()  # each receiver below has its own connection
    start, outcomes = threading.Barrier(2), []

    def receive():
        with database.connection_context():
            start.wait()
            try:
                outcomes.append(purchasing.receive(shop, order, {1: "5"}).state)
            except InventoryError as exc:
                outcomes.append(str(exc))

    receivers = [threading.Thread(target=receive) for _ in range(2)]
    for receiver in receivers:
        receiver.start()
    for receiver in receivers:
        receiver.join()
    database.connect(reuse_if_open=True)
    assert sorted(outcomes) == ["PO-00001 is received: that cannot be done to it now",
                                "received"]
    assert on_hand("store-1") == {"MILK": 5}


def test_a_count_of_everything_can_set_what_was_not_counted_to_none(shop):
    inventory.adjust(shop, "store-1", "MILK", "4", "opening stock")
    inventory.adjust(shop, "store-1", "CHEESE", "900", "opening stock")
    inventory.adjust(shop, "store-2", "BREAD", "3", "opening stock")
    stocktake = inventory.start_stocktake(shop, "store-1", "")
    inventory.count(shop, stocktake, "MILK", "5")
    assert inventory.uncounted(stocktake) == [("CHEESE", 900)]
    inventory.approve(shop, stocktake, zero_uncounted=True)
    assert on_hand("store-1") == {"MILK": 5, "CHEESE": 0}
    assert on_hand("store-2") == {"BREAD": 3}  # another store's stock is not in scope
    assert {row.sku: (row.counted, row.variance, row.unit)
            for row in inventory.variances(stocktake)} == \
        {"MILK": (5, 1, "pcs"), "CHEESE": (0, -900, "g")}


def test_reorder_suggestions_become_draft_orders_at_the_last_cost(shop):
    dairy = purchasing.create_supplier(shop, "Dairy Co", "", "14")
    bakers = purchasing.create_supplier(shop, "Bakers", "", "1")
    with pytest.raises(InventoryError, match="nothing to order"):
        purchasing.draft_from_suggestions(shop, "store-1")
    earlier = purchasing.create_order(shop, dairy.id, "store-2")
    purchasing.add_line(shop, earlier, "MILK", "10", "0.58")
    inventory.set_level(shop, "store-1", "MILK", "5", "10", str(dairy.id))
    inventory.set_level(shop, "store-1", "CHEESE", "500", "1000", str(dairy.id))
    inventory.set_level(shop, "store-1", "BREAD", "2", "4", str(bakers.id))
    inventory.adjust(shop, "store-1", "BREAD", "9", "opening stock")  # enough bread
    orders = purchasing.draft_from_suggestions(shop, "store-1")
    assert [(order.number, order.supplier.name, order.state) for order in orders] == \
        [("PO-00002", "Dairy Co", "draft")]
    assert [(line.sku, line.quantity, line.unit, line.unit_cost) for line in
            orders[0].lines.order_by(PurchaseOrderLine.line)] == \
        [("CHEESE", 1000, "g", 0), ("MILK", 10, "pcs", 58)]
    purchasing.add_line(shop, orders[0], "CHEESE", "1500", "10.50")  # the cost, corrected
    assert [(line.line, line.sku, line.quantity, line.unit_cost) for line in
            orders[0].lines.order_by(PurchaseOrderLine.line)] == \
        [(1, "CHEESE", 1500, 1050), (2, "MILK", 10, 58)]
