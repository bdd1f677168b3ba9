"""Voids after payment never strand a sale: it completes with the excess given back, or is
voided with its payments given back (cards through the terminal, then cash)."""
from edge.models import Audit, Outbox, Payment, Sale

from .conftest import MILK, PINS, WINE


def scan(api, code):
    return api.post("/api/sale/scan", {"code": code})["sale"]


def test_void_after_tender_never_strands_the_sale(app, cashier):
    scan(cashier, MILK)
    scan(cashier, WINE)  # 100 + 959 = 1059
    cashier.post("/api/sale/tender", {"type": "card", "amount": 200})
    cashier.post("/api/sale/tender", {"type": "cash", "amount": 300})
    for position in (1, 2):
        cashier.post(f"/api/sale/lines/{position}/void", {"approver_pin": PINS["S02"]})
    assert "void it to give back" in cashier.post("/api/sale/tender", {"type": "cash"},
                                                  status=409)["error"]
    assert "void it to give back" in cashier.post("/api/sale/complete", status=409)["error"]
    assert cashier.post("/api/sale/void", status=403)["approval"] == "void_after_tender"
    assert cashier.post("/api/sale/void", {"approver_pin": PINS["S02"]})["sale"] is None
    sale = Sale.get(Sale.seq == 1)
    assert sale.state == "voided"
    payments = [(p.type, p.amount, p.label) for p in Payment.select().order_by(Payment.id)]
    assert payments[2:] == [("card", -200, f"Refund to {payments[0][2]}"),
                            ("cash", -300, "Cash back")]
    assert Audit.get(Audit.action == "approve.void_after_tender").approver == "S02"
    assert not Outbox.select().exists()
    drawer = app.extensions["till"].devices.drawer
    assert drawer.is_open  # the cash went back out of the drawer
    cashier.post("/api/sim/drawer", {"state": "closed"})
    # The till goes on: a new sale, then the Z report.
    assert scan(cashier, MILK)["seq"] == 2
    assert cashier.post("/api/sale/tender", {"type": "cash"})["sale"]["state"] == "completed"
    cashier.post("/api/sim/drawer", {"state": "closed"})
    report = cashier.post("/api/session/close", {"counted": {"2000": 5, "100": 1}})["report"]
    assert (report["voided"], report["expected_cash"], report["over_short"]) == (1, 10100, 0)


def test_a_void_that_leaves_the_sale_overpaid_completes_with_the_excess_back(app, cashier):
    scan(cashier, WINE)
    scan(cashier, MILK)  # 959 + 100 = 1059
    cashier.post("/api/sale/tender", {"type": "card", "amount": 600})
    cashier.post("/api/sale/tender", {"type": "cash", "amount": 300})
    sale = cashier.post("/api/sale/lines/1/void", {"approver_pin": PINS["S02"]})["sale"]
    assert (sale["total"], sale["paid"], sale["remaining"]) == (100, 900, -800)
    assert cashier.post("/api/sale/tender", {"type": "cash"}, status=409)["settle"] is True
    cashier.post("/api/sim/card", {"outcome": "decline"})
    declined = cashier.post("/api/sale/complete", status=402)
    assert declined["card_status"] == "declined"
    assert cashier.get("/api/sale")["sale"]["paid"] == 900  # nothing went back yet
    sale = cashier.post("/api/sale/complete")["sale"]
    # The card first, all 600 of it; then 200 of the 300 cash.
    assert (sale["state"], sale["paid"], sale["rounding"]) == ("completed", 100, 0)
    assert [(p["type"], p["amount"]) for p in sale["payments"]] == [
        ("card", 600), ("cash", 300), ("card", -600), ("cash", -200)]
    message = Outbox.get(Outbox.kind == "sale.completed").payload
    assert sum(p["amount"] for p in message["payments"]) == message["result"]["total"] == 100
    receipt = app.extensions["till"].devices.printer.last_text
    assert "Cash back" in receipt and "-2.00" in receipt
    cashier.post("/api/sim/drawer", {"state": "closed"})
    report = cashier.get("/api/session/x-report")["report"]
    assert report["tenders"] == [{"type": "card", "amount": 0}, {"type": "cash", "amount": 100}]
    # A later return of the milk gives back cash: nothing is left on the card.
    refund = cashier.post("/api/returns", {"code": sale["barcode"]})["sale"]
    refund = cashier.post("/api/sale/return-lines", {"original_position": 2})["sale"]
    assert [(to["type"], to["amount"]) for to in refund["refund_to"]] == [("cash", 100)]


def test_complete_refuses_while_something_is_due(cashier):
    scan(cashier, MILK)
    assert "nothing was paid" in cashier.post("/api/sale/complete", status=409)["error"]
    cashier.post("/api/sale/tender", {"type": "card", "amount": 50})
    assert "still due" in cashier.post("/api/sale/complete", status=409)["error"]
