"""Returns: from the receipt, partial, never more than was sold, back to the original
tender; without receipt only with a supervisor."""
import pytest

from edge.models import Audit, Outbox, Sale
from edge.refunds import line_charges, refund_for, share

from .conftest import MILK, PINS, WINE

SUPERVISOR = {"approver_pin": PINS["S02"]}


def sell(api, codes, tender):
    for code in codes:
        api.post("/api/sale/scan", {"code": code})
    sale = api.post("/api/sale/tender", {"type": tender})["sale"]
    api.post("/api/sim/drawer", {"state": "closed"})
    return sale


def line_of(sale, sku):
    return next(item for item in sale["returnable"] if item["sku"] == sku)


def test_partial_return_to_card_by_receipt_barcode(cashier):
    # 3 milk (3 for 2.50) + wine 7.99 + 1.60 VAT = 12.09, on a card
    sold = sell(cashier, [MILK, MILK, MILK, WINE], "card")
    refund = cashier.post("/api/sale/scan", {"code": sold["barcode"]})["sale"]
    assert (refund["kind"], refund["original"]) == ("refund", sold["ref"])
    milk = line_of(refund, "MILK")
    assert (milk["qty"], milk["returnable"], milk["amount"]) == (3, 3, 250)
    refund = cashier.post("/api/sale/return-lines", {"original_position": 1, "qty": 1})["sale"]
    assert refund["total"] == 83  # a third of 2.50, rounded
    assert refund["refund_to"] == [{"type": "card", "label": sold["payments"][0]["label"],
                                    "amount": 83,
                                    "reference": sold["payments"][0]["reference"]}]
    assert cashier.post("/api/sale/refund", status=403)["approval"] == "refund"
    done = cashier.post("/api/sale/refund", SUPERVISOR)["sale"]
    assert done["state"] == "completed"
    assert [(p["type"], p["amount"]) for p in done["payments"]] == [("card", -83)]
    assert Audit.get(Audit.action == "approve.refund").approver == "S02"
    message = Outbox.select().where(Outbox.kind == "sale.completed").order_by(
        Outbox.id.desc()).first().payload
    assert (message["kind"], message["original"]) == ("refund", sold["uuid"])


def test_returns_never_give_back_more_than_was_charged(cashier):
    sold = sell(cashier, [MILK, MILK, MILK], "card")  # 250 for 3
    refunds = []
    for _ in range(3):
        cashier.post("/api/returns", {"code": sold["ref"]})
        cashier.post("/api/sale/return-lines", {"original_position": 1})
        refunds.append(cashier.post("/api/sale/refund", SUPERVISOR)["sale"]["total"])
    assert refunds == [83, 84, 83] and sum(refunds) == 250
    assert "has been returned" in cashier.post("/api/returns", {"code": sold["ref"]},
                                               status=409)["error"]


def test_cannot_return_more_units_than_sold(cashier):
    sold = sell(cashier, [MILK, MILK], "cash")
    cashier.post("/api/returns", {"code": sold["barcode"]})
    cashier.post("/api/sale/return-lines", {"original_position": 1, "qty": 2})
    refused = cashier.post("/api/sale/return-lines", {"original_position": 1, "qty": 1},
                           status=409)
    assert "can still come back" in refused["error"]
    assert "not on that receipt" in cashier.post("/api/sale/scan", {"code": WINE},
                                                 status=409)["error"]
    cashier.post("/api/sale/lines/1/void")
    assert "with Refund" in cashier.post("/api/sale/tender", {"type": "cash"},
                                         status=409)["error"]
    refund = cashier.post("/api/sale/scan", {"code": MILK})["sale"]
    assert [(line["qty"], line["voided"]) for line in refund["lines"]] == [(2, True),
                                                                           (1, False)]
    assert refund["total"] == 100
    assert refund["refund_to"] == [{"type": "cash", "label": "Cash", "amount": 100,
                                    "reference": None}]
    done = cashier.post("/api/sale/refund", SUPERVISOR)["sale"]
    assert [(p["type"], p["amount"]) for p in done["payments"]] == [("cash", -100)]


def test_split_tender_sale_refunds_card_first_then_cash(cashier):
    cashier.post("/api/sale/scan", {"code": WINE})
    cashier.post("/api/sale/tender", {"type": "card", "amount": 459})
    sold = cashier.post("/api/sale/tender", {"type": "cash", "amount": 500})["sale"]
    cashier.post("/api/sim/drawer", {"state": "closed"})
    cashier.post("/api/returns", {"code": sold["ref"]})
    refund = cashier.post("/api/sale/return-lines", {"original_position": 1})["sale"]
    assert [(p["type"], p["amount"]) for p in refund["refund_to"]] == [("card", 459),
                                                                      ("cash", 500)]
    done = cashier.post("/api/sale/refund", SUPERVISOR)["sale"]
    assert sum(p["amount"] for p in done["payments"]) == -959


def test_declined_card_refund_leaves_the_return_open(cashier):
    sold = sell(cashier, [WINE], "card")
    cashier.post("/api/returns", {"code": sold["ref"]})
    cashier.post("/api/sale/return-lines", {"original_position": 1})
    cashier.post("/api/sim/card", {"outcome": "decline"})
    refused = cashier.post("/api/sale/refund", SUPERVISOR, status=402)
    assert refused["card_status"] == "declined"
    assert cashier.get("/api/sale")["sale"]["state"] == "open"


def test_return_without_receipt_needs_a_supervisor_and_pays_cash(cashier):
    refused = cashier.post("/api/returns", {"no_receipt": True}, status=403)
    assert refused["approval"] == "refund_without_receipt"
    cashier.post("/api/returns", {"no_receipt": True, **SUPERVISOR})
    refund = cashier.post("/api/sale/scan", {"code": WINE})["sale"]
    assert refund["total"] == 959  # today's price with VAT
    assert refund["refund_to"][0]["type"] == "cash"
    assert refund["refund_to"][0]["amount"] == 960  # cash, rounded to 5p
    done = cashier.post("/api/sale/refund", SUPERVISOR)["sale"]
    assert done["payments"][0]["amount"] == -960


def test_receipt_codes_that_cannot_be_returned(cashier):
    assert "another till" in cashier.post("/api/returns", {"code": "TS-T09-1"},
                                          status=409)["error"]
    assert "no completed sale" in cashier.post("/api/returns", {"code": "T01-000042"},
                                               status=404)["error"]
    assert "not a receipt" in cashier.post("/api/returns", {"code": MILK},
                                           status=422)["error"]
    cashier.post("/api/sale/scan", {"code": MILK})
    assert "in progress" in cashier.post("/api/returns", {"code": "T01-000001"},
                                         status=409)["error"]



def test_refunds_count_in_the_z_report(cashier):
    sold = sell(cashier, [WINE], "cash")  # 959 -> 960 in cash
    cashier.post("/api/returns", {"code": sold["ref"]})
    cashier.post("/api/sale/return-lines", {"original_position": 1})
    cashier.post("/api/sale/refund", SUPERVISOR)
    report = cashier.get("/api/session/x-report")["report"]
    assert report["refunds"] == {"count": 1, "total": 959}
    assert report["taxes"] == [{"id": "vat20", "name": "VAT 20%", "amount": 0}]
    assert report["expected_cash"] == 10000
    assert Sale.select().where(Sale.kind == "refund").count() == 1


@pytest.mark.parametrize("charged, of", [(250, 3), (1, 7), (10**14, 9999), (0, 2)])
def test_unit_shares_add_up_to_the_charge(charged, of):
    assert sum(share(charged, k + 1, of) - share(charged, k, of) for k in range(of)) == charged
    assert refund_for(charged, {"v": charged // 5}, 0, of, of) == (charged, {"v": charged // 5})


def test_total_mode_taxes_are_split_over_lines_by_net():
    result = {"lines": [{"line": 1, "net": 100, "taxes": []}, {"line": 2, "net": 200,
                                                                 "taxes": []}],
              "taxes": [{"id": "v", "amount": 61}]}
    charges = line_charges(result, {"s": [{"id": "v", "rate": "20"}]}, {1: "s", 2: "s"},
                           inclusive=False)
    assert charges == {1: (120, {"v": 20}), 2: (241, {"v": 41})}


def test_refund_line_quantity_follows_the_original(cashier):
    sold = sell(cashier, [MILK, MILK, MILK], "card")
    cashier.post("/api/returns", {"code": sold["ref"]})
    refund = cashier.post("/api/sale/return-lines", {"original_position": 1})["sale"]
    assert refund["lines"][0]["original_position"] == 1
    refund = cashier.patch("/api/sale/lines/1", {"qty": 3})["sale"]
    assert (refund["lines"][0]["qty"], refund["total"]) == (3, 250)
    assert "from 1 to 3" in cashier.patch("/api/sale/lines/1", {"qty": 4},
                                          status=422)["error"]
    assert cashier.get("/api/session")["next_number"] == 2
