"""The cash session: float, paid in and out, no sale, X report, Z report and its numbers."""
from edge.models import Audit, CashMovement, Outbox

from .conftest import MILK, PINS, WINE


def sell(api, code, tender):
    api.post("/api/sale/scan", {"code": code})
    api.post("/api/sale/tender", {"type": tender})
    api.post("/api/sim/drawer", {"state": "closed"})


def test_no_sale_before_the_till_is_open(signed_in):
    refused = signed_in.post("/api/sale/scan", {"code": MILK}, status=409)
    assert refused["session_closed"] is True
    assert signed_in.get("/api/session")["session"] is None
    bad = signed_in.post("/api/session/open", {"counted": {"3": 1}}, status=422)
    assert "not a denomination" in bad["error"]
    session = signed_in.post("/api/session/open",
                             {"counted": {"2000": 2, "500": 3, "10": 5}})["session"]
    assert (session["number"], session["float"]) == (1, 5550)
    assert "already open" in signed_in.post("/api/session/open", {"float": 0},
                                            status=409)["error"]
    assert signed_in.post("/api/sale/scan", {"code": MILK})["sale"]["lines"]


def test_x_report_adds_up_the_session(cashier):
    sell(cashier, MILK, "cash")  # 100
    sell(cashier, WINE, "card")  # 799 + 160 VAT
    cashier.post("/api/session/paid-in", {"amount": 2000, "reason": "Change from bank"})
    cashier.post("/api/sim/drawer", {"state": "closed"})
    cashier.post("/api/session/paid-out", {"amount": 500, "reason": "Window cleaner"})
    cashier.post("/api/sim/drawer", {"state": "closed"})
    report = cashier.get("/api/session/x-report")["report"]
    assert report["sales"] == {"count": 2, "subtotal": 899, "discounts": 0, "total": 1059}
    assert report["tenders"] == [{"type": "card", "amount": 959},
                                 {"type": "cash", "amount": 100}]
    assert report["taxes"] == [{"id": "vat20", "name": "VAT 20%", "amount": 160}]
    assert (report["paid_in"], report["paid_out"]) == (2000, 500)
    assert report["expected_cash"] == 10000 + 100 + 2000 - 500
    assert "reason" in cashier.post("/api/session/paid-out", {"amount": 1},
                                    status=422)["error"]
    assert "more than the cash" in cashier.post(
        "/api/session/paid-out", {"amount": 10**6, "reason": "x"}, status=409)["error"]


def test_no_sale_needs_a_reason_and_a_supervisor(app, cashier):
    assert "reason" in cashier.post("/api/drawer/no-sale", {}, status=422)["error"]
    refused = cashier.post("/api/drawer/no-sale", {"reason": "Give change"}, status=403)
    assert refused["approval"] == "no_sale"
    report = cashier.post("/api/drawer/no-sale", {"reason": "Give change",
                                                  "approver_pin": PINS["S02"]})["report"]
    assert report["no_sales"] == 1
    assert app.extensions["till"].devices.drawer.is_open
    movement = CashMovement.get()
    assert (movement.kind, movement.reason, movement.approver) == ("no_sale", "Give change",
                                                                   "S02")


def test_z_report_closes_with_over_short_and_numbers_never_reused(cashier):
    sell(cashier, MILK, "cash")
    cashier.post("/api/sale/scan", {"code": MILK})
    assert "sale in progress" in cashier.post("/api/session/close", {"counted": {}},
                                              status=409)["error"]
    cashier.post("/api/sale/void")
    counted = {"2000": 5, "50": 1, "20": 2}  # 10090: expected 10100, 10 short
    z = cashier.post("/api/session/close", {"counted": counted})["report"]
    assert (z["z_number"], z["expected_cash"], z["counted_total"], z["over_short"]) == \
        (1, 10100, 10090, -10)
    assert z["voided"] == 1 and z["sales"]["count"] == 1
    assert cashier.get("/api/session")["session"] is None
    assert cashier.post("/api/sale/scan", {"code": MILK}, status=409)["session_closed"]
    message = Outbox.get(Outbox.kind == "session.closed").payload
    assert message["z_number"] == 1 and message["till"] == "T01"
    cashier.post("/api/session/open", {"float": 0})
    z2 = cashier.post("/api/session/close", {"counted": {}})["report"]
    assert (z2["session"], z2["z_number"], z2["sales"]["count"]) == (2, 2, 0)
    assert cashier.get("/api/session/z-reports/1")["report"] == z
    assert cashier.get("/api/session/z-reports/9", status=404)["error"]
    assert Audit.select().where(Audit.action == "session.close").count() == 2
