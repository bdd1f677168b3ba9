"""A sale's effects at the hub, on SQLite and PostgreSQL: stock movements, loyalty points
and customer statistics, written with the sale and so counted once however often, and in
whatever order, it comes."""
import random

from hub import loyalty, stock
from hub.ingest import apply
from hub.models import CustomerStats, LoyaltyEntry, StockMovement
from tests.hub.test_ingest import TOPIC, sale_message

LINES = [
    {"position": 1, "sku": "MILK", "qty": 3, "weight_g": None, "unit_price": 119,
     "voided": False},
    {"position": 2, "sku": "CHEESE", "qty": None, "weight_g": 412, "unit_price": 1990,
     "voided": False},
    {"position": 3, "sku": "MILK", "qty": 1, "weight_g": None, "unit_price": 119,
     "voided": True},
]


def result(total):
    return {"subtotal": total, "total": total, "tax_total": 0, "taxes": [], "lines": []}


def sale(uuid, seq, total, customer="C1", at="2026-11-25T10:01:00+00:00", lines=LINES,
         kind="sale"):
    return sale_message(uuid, seq, kind=kind, customer=customer, completed_at=at,
                        lines=lines, result=result(total))


def test_a_sale_moves_stock_once_and_a_voided_line_not_at_all(hub_db):
    for _ in range(3):
        apply(hub_db, TOPIC, sale("s-1", 1, 1177))
    assert stock.on_hand("store-1") == {"MILK": -3, "CHEESE": -412}
    movement = StockMovement.get(StockMovement.sku == "CHEESE")
    assert (movement.unit, movement.kind, movement.reference) == ("g", "sale", "s-1")


def test_a_refund_puts_back_what_it_returns(hub_db):
    apply(hub_db, TOPIC, sale("s-1", 1, 1177))
    returned = [{**LINES[0], "qty": 2}]
    apply(hub_db, TOPIC, sale("r-1", 2, 238, lines=returned, kind="refund"))
    assert stock.on_hand("store-1", ["MILK"]) == {"MILK": -1}
    assert StockMovement.get(StockMovement.reference == "r-1").kind == "return"


def test_points_are_earned_once_per_sale(hub_db):
    for _ in range(5):
        assert apply(hub_db, TOPIC, sale("s-1", 1, 1177)) in ("applied", "duplicate")
    assert loyalty.balance("C1") == 11
    assert LoyaltyEntry.select().count() == 1
    stats = CustomerStats.get_by_id("C1")
    assert (stats.visits, stats.spent, stats.points) == (1, 1177, 11)


def test_partial_refunds_never_take_back_more_points_than_earned(hub_db):
    apply(hub_db, TOPIC, sale("s-1", 1, 1999))  # 19 points
    for number, part in enumerate((999, 500, 500)):
        apply(hub_db, TOPIC, sale(f"r-{number}", 2 + number, part, kind="refund"))
    assert 0 <= loyalty.balance("C1") == 19 - 9 - 5 - 5
    stats = CustomerStats.get_by_id("C1")
    assert (stats.visits, stats.refunds, stats.spent) == (1, 3, 0)


def test_a_sale_without_a_customer_earns_nothing(hub_db):
    apply(hub_db, TOPIC, sale("s-1", 1, 1177, customer=None))
    assert LoyaltyEntry.select().count() == CustomerStats.select().count() == 0


def test_statistics_do_not_depend_on_the_order_sales_arrive_in(hub_db):
    sales = [sale(f"s-{n}", n, 100 * n, at=f"2026-11-{n:02d}T09:00:00+00:00")
             for n in range(1, 21)]
    for message in random.Random(7).sample(sales, len(sales)) * 2:  # and each twice
        apply(hub_db, TOPIC, message)
    stats = CustomerStats.get_by_id("C1")
    assert (stats.visits, stats.spent, stats.points) == (20, 21000, 210)
    assert (stats.first_purchase, stats.last_purchase) == ("2026-11-01T09:00:00+00:00",
                                                           "2026-11-20T09:00:00+00:00")
    assert stock.on_hand("store-1")["MILK"] == -60
