"""The sale flow through the till's JSON API, on a real SQLite journal."""
from pathlib import Path

import pytest

from edge.models import Audit, Outbox, Payment, Sale
from edge.sample_store import variable_measure_code

from .conftest import APPLE, BREAD, MILK, PINS, WINE, Api, ean13

UNKNOWN = ean13("500000000099")
CORRUPT = UNKNOWN[:-1] + str((int(UNKNOWN[-1]) + 1) % 10)


def scan(api, code, status=200):
    return api.post("/api/sale/scan", {"code": code}, status=status)


def test_api_needs_sign_in(api):
    assert api.get("/api/sale", status=401)["error"] == "please sign in"
    assert api.post("/api/auth/sign-in", {"pin": "0000"}, status=401)["error"] == \
        "PIN not recognised"
    assert "4 to 8 digits" in api.post("/api/auth/sign-in", {"pin": "12"}, status=400)["error"]
    assert api.post("/api/auth/sign-in", {"pin": PINS["S01"]})["role"] == "cashier"
    assert api.get("/api/sale")["sale"] is None


def test_wrong_pins_pause_pin_entry(api):
    for _ in range(5):
        api.post("/api/auth/sign-in", {"pin": "0000"}, status=401)
    assert "too many wrong PINs" in api.post("/api/auth/sign-in", {"pin": PINS["S01"]},
                                             status=429)["error"]
    assert Audit.select().where(Audit.action == "staff.pin_lockout").count() == 1


def test_scans_build_a_priced_basket(cashier):
    sale = scan(cashier, MILK)["sale"]
    assert [(line["sku"], line["qty"]) for line in sale["lines"]] == [("MILK", 1)]
    scan(cashier, MILK)
    sale = scan(cashier, MILK)["sale"]
    # The same item again raises the quantity; three milks trigger "3 for 2.50".
    assert [(line["sku"], line["qty"]) for line in sale["lines"]] == [("MILK", 3)]
    assert sale["savings"] == [{"promotion": "P1", "name": "Milk 3 for 2.50", "times": 1,
                                "amount": 50}]
    sale = scan(cashier, WINE)["sale"]
    assert sale["subtotal"] == 300 + 799
    assert sale["taxes"] == [{"id": "vat20", "name": "VAT 20%", "amount": 160}]
    assert sale["total"] == 250 + 799 + 160
    assert sale["cash_total"] == 1210


def test_quantity_void_and_search(cashier):
    scan(cashier, MILK)
    scan(cashier, BREAD)
    sale = cashier.patch("/api/sale/lines/1", {"qty": 4})["sale"]
    assert sale["lines"][0]["qty"] == 4
    assert "whole number" in cashier.patch("/api/sale/lines/1", {"qty": 0}, status=422)["error"]
    assert "whole number" in cashier.patch("/api/sale/lines/1", {"qty": 1.5},
                                           status=422)["error"]
    sale = cashier.post("/api/sale/lines/2/void")["sale"]
    assert sale["lines"][1]["voided"] is True
    assert sale["subtotal"] == 400
    found = cashier.get("/api/products?q=sour")["products"]
    assert [p["sku"] for p in found] == ["BREAD"]
    sale = cashier.post("/api/sale/lines", {"sku": "BREAD", "qty": 2})["sale"]
    assert sale["lines"][-1]["qty"] == 2


def test_bad_codes_lose_nothing(cashier):
    scan(cashier, MILK)
    unknown = scan(cashier, UNKNOWN, status=404)
    assert unknown["manual_entry"] is True and "unknown barcode" in unknown["error"]
    assert "check digit" in scan(cashier, CORRUPT, status=422)["error"]
    assert scan(cashier, "not a barcode\x00", status=422)["error"].startswith("barcode rejected")
    assert scan(cashier, 12345, status=422)["error"].startswith("barcode rejected")
    assert [line["sku"] for line in cashier.get("/api/sale")["sale"]["lines"]] == ["MILK"]
    assert Audit.select().where(Audit.action == "scan.rejected").count() == 3


def test_malformed_requests_get_json_errors(cashier):
    response = cashier.client.post("/api/sale/scan", data="code=1", content_type="text/plain")
    assert response.status_code == 415 and "JSON" in response.get_json()["error"]
    response = cashier.client.post("/api/sale/scan", data="[1]",
                                   content_type="application/json")
    assert response.status_code == 400
    assert cashier.get("/api/nowhere", status=404)["error"]


def test_weighed_items(cashier):
    assert scan(cashier, APPLE, status=409)["weigh"] is True
    assert cashier.post("/api/sale/lines", {"sku": "APPLE"}, status=422)["weigh"] is True
    sale = cashier.post("/api/sale/lines", {"sku": "APPLE", "weight_g": 1500})["sale"]
    line = sale["lines"][0]
    assert (line["weight_g"], line["base"]) == (1500, 375)
    assert line["discounts"] == [{"promotion": "P2", "name": "10% off fruit", "amount": 38}]


def test_scale_labels(cashier):
    sale = scan(cashier, variable_measure_code("weight", "0401", 1500))["sale"]
    assert (sale["lines"][0]["weight_g"], sale["lines"][0]["base"]) == (1500, 375)
    sale = scan(cashier, variable_measure_code("price", "0401", 388))["sale"]
    line = sale["lines"][1]
    assert (line["qty"], line["unit_price"], line["base"]) == (1, 388, 388)
    assert line["discounts"][0]["amount"] == 39  # 10% off fruit applies to labels too
    assert "unknown weighed item" in scan(cashier, variable_measure_code("weight", "0999", 10),
                                          status=404)["error"]


def test_loyalty_card_switches_on_member_prices(cashier):
    scan(cashier, BREAD)
    sale = scan(cashier, "LC1001")["sale"]
    assert sale["customer"]["name"] == "Jo Bloggs"
    assert sale["lines"][0]["unit_price"] == 299
    sale = cashier.post("/api/sale/customer/detach")["sale"]
    assert sale["customer"] is None and sale["lines"][0]["unit_price"] == 345
    sale = cashier.post("/api/sale/customer", {"phone": "07700900123"})["sale"]
    assert sale["customer"]["id"] == "C1"
    assert cashier.post("/api/sale/customer", {"card": "LC999"}, status=404)["error"]


def test_parked_sales(cashier):
    scan(cashier, MILK)
    first = cashier.get("/api/sale")["sale"]
    assert cashier.post("/api/sale/park")["sale"] is None
    scan(cashier, BREAD)
    second = cashier.get("/api/sale")["sale"]
    assert "finish or park" in cashier.post(f"/api/parked/{first['uuid']}/resume",
                                            status=409)["error"]
    cashier.post("/api/sale/park")
    parked = cashier.get("/api/parked")["parked"]
    assert [sale["uuid"] for sale in parked] == [first["uuid"], second["uuid"]]
    resumed = cashier.post(f"/api/parked/{first['uuid']}/resume")["sale"]
    assert resumed["lines"][0]["sku"] == "MILK" and resumed["seq"] == first["seq"]
    cashier.post("/api/sale/void")
    assert "no sale in progress" in cashier.post("/api/sale/park", status=409)["error"]
    scan(cashier, MILK)
    cashier.post("/api/sale/lines/1/void")
    assert "nothing to park" in cashier.post("/api/sale/park", status=409)["error"]


def test_cash_sale_completes_in_one_commit(app, cashier):
    scan(cashier, MILK)
    scan(cashier, WINE)  # 100 + 799 + 160 tax = 1059, cash rounds to 1060
    sale = cashier.post("/api/sale/tender", {"type": "cash", "amount": 500})["sale"]
    assert (sale["state"], sale["paid"], sale["remaining"]) == ("open", 500, 559)
    assert sale["cash_due"] == 560
    sale = cashier.post("/api/sale/tender", {"type": "cash", "amount": 1000})["sale"]
    assert sale["state"] == "completed"
    assert (sale["rounding"], sale["change"]) == (1, 440)
    row = Sale.get_by_id(sale["uuid"])
    assert row.result["total"] == 1059
    message = Outbox.get(Outbox.kind == "sale.completed").payload
    assert message["uuid"] == sale["uuid"] and message["seq"] == sale["seq"]
    assert [p["amount"] for p in message["payments"]] == [500, 560]
    assert cashier.get("/api/sale")["sale"] is None
    receipts = app.extensions["till"].devices.printer
    assert "Red wine" in receipts.last_text


def test_drawer_must_be_closed_before_next_cash_sale(app, cashier):
    lights = app.extensions["till"].devices.lights
    scan(cashier, MILK)
    assert lights.state == "busy"
    cashier.post("/api/sale/tender", {"type": "cash"})
    assert lights.state == "attention"
    assert cashier.get("/api/changes?since=-1&timeout=0")["drawer_open"] is True
    scan(cashier, MILK)
    refused = cashier.post("/api/sale/tender", {"type": "cash"}, status=409)
    assert refused["drawer_open"] is True
    version = cashier.get("/api/changes?since=-1&timeout=0")["version"]
    cashier.post("/api/sim/drawer", {"state": "closed"})
    changed = cashier.get(f"/api/changes?since={version}&timeout=5")
    assert changed["drawer_open"] is False and changed["version"] > version
    assert lights.state == "busy"  # the second sale is still open
    assert cashier.post("/api/sale/tender", {"type": "cash"})["sale"]["state"] == "completed"


def test_card_decline_leaves_sale_open_and_split_tender(cashier):
    scan(cashier, WINE)  # 799 + 160 = 959
    cashier.post("/api/sim/card", {"outcome": "decline"})
    declined = cashier.post("/api/sale/tender", {"type": "card"}, status=402)
    assert declined["card_status"] == "declined"
    assert cashier.get("/api/sale")["sale"]["state"] == "open"
    sale = cashier.post("/api/sale/tender", {"type": "card", "amount": 459})["sale"]
    assert (sale["paid"], sale["remaining"]) == (459, 500)
    assert "once payment has started" in scan(cashier, MILK, status=409)["error"]
    sale = cashier.post("/api/sale/tender", {"type": "cash", "amount": 500})["sale"]
    assert sale["state"] == "completed" and sale["change"] == 0
    assert [p["type"] for p in sale["payments"]] == ["card", "cash"]


@pytest.mark.parametrize("kind", ["voucher", "store_credit"])
def test_vouchers_need_the_hub(cashier, kind):
    scan(cashier, MILK)
    refused = cashier.post("/api/sale/tender", {"type": kind, "amount": 50}, status=503)
    assert "needs the hub" in refused["error"]
    assert cashier.get("/api/sale")["sale"]["paid"] == 0


def test_printer_trouble_never_blocks_a_sale(app, cashier):
    cashier.post("/api/sim/printer", {"paper_out": True})
    scan(cashier, MILK)
    sale = cashier.post("/api/sale/tender", {"type": "card"})["sale"]
    assert sale["state"] == "completed"
    assert Sale.get_by_id(sale["uuid"]).receipt_pending is True
    assert app.extensions["till"].devices.lights.state == "error"
    assert "printer unavailable" in cashier.post("/api/receipts/last/reprint",
                                                 status=503)["error"]
    cashier.post("/api/sim/printer", {"paper_out": False})
    cashier.post("/api/receipts/last/reprint")
    assert Sale.get_by_id(sale["uuid"]).receipt_pending is False
    assert "REPRINT" in app.extensions["till"].devices.printer.last_text


def test_price_override_needs_a_supervisor(cashier):
    scan(cashier, WINE)
    refused = cashier.patch("/api/sale/lines/1", {"unit_price": 500}, status=403)
    assert refused["approval"] == "price_override"
    refused = cashier.patch("/api/sale/lines/1", {"unit_price": 500,
                                                  "approver_pin": PINS["S01"]}, status=403)
    assert "cannot approve" in refused["error"]
    sale = cashier.patch("/api/sale/lines/1", {"unit_price": 500,
                                               "approver_pin": PINS["S02"]})["sale"]
    assert sale["lines"][0]["unit_price"] == 500
    entry = Audit.get(Audit.action == "approve.price_override")
    assert (entry.staff, entry.approver) == ("S01", "S02")
    assert entry.detail == {"position": 1, "from": 799, "to": 500}


def test_void_after_tender_needs_a_supervisor(cashier):
    scan(cashier, MILK)
    scan(cashier, WINE)
    cashier.post("/api/sale/tender", {"type": "cash", "amount": 100})
    assert cashier.post("/api/sale/lines/1/void", status=403)["approval"] == \
        "void_after_tender"
    sale = cashier.post("/api/sale/lines/1/void", {"approver_pin": PINS["S03"]})["sale"]
    assert sale["lines"][0]["voided"] is True


def test_sale_numbers_are_sequential_and_never_reused(cashier):
    numbers = []
    for _ in range(3):
        numbers.append(scan(cashier, MILK)["sale"]["seq"])
        cashier.post("/api/sale/void")
    assert numbers == [1, 2, 3]
    assert Sale.select().where(Sale.state == "voided").count() == 3


def test_restart_restores_the_open_sale(till_config, cashier, app):
    scan(cashier, MILK)
    scan(cashier, BREAD)
    cashier.post("/api/sale/tender", {"type": "card", "amount": 100})
    from edge.app import create_app

    app.extensions["till"].devices.close()
    again = create_app(till_config)
    client = again.test_client()
    client.post("/api/auth/sign-in", json={"pin": PINS["S01"]})
    sale = client.get("/api/sale").get_json()["sale"]
    assert [line["sku"] for line in sale["lines"]] == ["MILK", "BREAD"]
    assert sale["paid"] == 100
    assert Payment.select().count() == 1
    assert Audit.select().where(Audit.action == "sale.restored").count() == 1
    again.extensions["till"].devices.close()


def test_restart_voids_an_empty_open_sale_with_an_audit_entry(till_config, cashier, app):
    sale = scan(cashier, MILK)["sale"]
    cashier.post("/api/sale/lines/1/void")
    from edge.app import create_app

    app.extensions["till"].devices.close()
    again = create_app(till_config)
    client = Api(again.test_client())
    client.post("/api/auth/sign-in", {"pin": PINS["S01"]})
    assert client.get("/api/sale")["sale"] is None
    assert Sale.get_by_id(sale["uuid"]).state == "voided"
    entries = Audit.select().where(Audit.action == "sale.void_empty_on_restart")
    assert [(entry.sale, entry.staff) for entry in entries] == [(sale["uuid"], "S01")]
    assert scan(client, MILK)["sale"]["seq"] == 2  # its number is never reused
    again.extensions["till"].devices.close()


def test_store_and_receipt_preview(cashier):
    store = cashier.get("/api/store")
    assert store["currency"]["code"] == "GBP" and 2000 in store["denominations"]
    assert "no completed sale" in cashier.get("/api/receipts/last/preview.png",
                                              status=404)["error"]
    scan(cashier, WINE)
    cashier.post("/api/sale/tender", {"type": "card"})
    response = cashier.client.get("/api/receipts/last/preview.png")
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert response.data.startswith(b"\x89PNG")


def test_line_discount_needs_a_supervisor(cashier):
    scan(cashier, WINE)
    refused = cashier.patch("/api/sale/lines/1", {"discount_percent": "10"}, status=403)
    assert refused["approval"] == "line_discount"
    assert "percent" in cashier.patch("/api/sale/lines/1", {"discount_percent": "110",
                                                            "approver_pin": PINS["S02"]},
                                      status=422)["error"]
    sale = cashier.patch("/api/sale/lines/1", {"discount_percent": "12.5",
                                               "approver_pin": PINS["S02"]})["sale"]
    assert sale["lines"][0]["unit_price"] == 699  # 7.99 less 12.5%, rounded half up
    assert Audit.get(Audit.action == "approve.line_discount").detail["to"] == 699


def test_total_discount_is_a_basket_promotion(cashier):
    scan(cashier, WINE)
    scan(cashier, MILK)
    assert cashier.post("/api/sale/discount", {"percent": "10"},
                        status=403)["approval"] == "total_discount"
    assert "not both" in cashier.post("/api/sale/discount", {
        "percent": "10", "amount_off": 5, "approver_pin": PINS["S02"]}, status=422)["error"]
    sale = cashier.post("/api/sale/discount", {"amount_off": 99,
                                               "approver_pin": PINS["S02"]})["sale"]
    assert sale["basket_discount"] == 99
    assert {"promotion": "manual-discount", "name": "Discount", "times": 1,
            "amount": 99} in sale["savings"]
    assert sale["subtotal"] - sale["basket_discount"] == 800
    sale = cashier.post("/api/sale/discount", {})["sale"]
    assert sale["basket_discount"] == 0


def test_every_unprinted_receipt_is_printed_when_the_printer_returns(app, cashier, till_config):
    till = app.extensions["till"]
    receipts = Path(till_config["till"]["data_dir"]) / "receipts"

    def sell(printer_state):
        cashier.post("/api/sim/printer", printer_state)
        scan(cashier, MILK)
        return cashier.post("/api/sale/tender", {"type": "card"})["sale"]

    sold = [sell({"paper_out": True}), sell({"paper_out": True}),
            sell({"paper_out": False, "offline": True})]
    assert cashier.get("/api/changes?since=-1&timeout=0")["receipts_pending"] == 3
    assert till.devices.lights.state == "error"
    refused = cashier.post("/api/receipts/pending/print", status=503)
    assert refused["receipts_pending"] == 3 and "printer unavailable" in refused["error"]
    cashier.post("/api/sim/printer", {"offline": False})
    assert cashier.post("/api/receipts/pending/print") == {"printed": 3, "pending": 0}
    printed = sorted(receipts.glob("*.txt"), key=lambda path: path.stat().st_mtime_ns)
    assert [path.name for path in printed] == [f"{sale['ref']}-1.txt" for sale in sold]
    assert not Sale.select().where(Sale.receipt_pending).exists()
    assert till.devices.lights.state == "ready"
    # The next receipt that prints takes the queue with it.
    queued = sell({"offline": True})
    assert till.devices.lights.state == "error"
    sell({"offline": False})
    assert (receipts / f"{queued['ref']}-1.txt").exists()
    assert cashier.get("/api/changes?since=-1&timeout=0")["receipts_pending"] == 0
    assert till.devices.lights.state == "ready"
