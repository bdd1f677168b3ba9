"""A card charge that times out may have gone through: the till records it as unknown and
takes no other card payment on the sale until a supervisor says what the terminal shows.
The terminal is asked without the till's lock, so the other screens keep working."""
import threading
import time

import pytest

from edge.app import create_app
from edge.config import load_config
from edge.models import Audit, CardAttempt, Payment

from .conftest import PINS, WINE, Api

TERMINAL_WAIT_S = 2.0


@pytest.fixture
def slow_terminal(tmp_path, store_file):
    """A till whose simulated terminal takes TERMINAL_WAIT_S to time out; two signed-in
    screens: the one that pays, and another."""
    app = create_app(load_config(overrides={
        "till": {"data_dir": str(tmp_path / "till"), "store_file": str(store_file)},
        "payment": {"backend": "simulated", "timeout_s": TERMINAL_WAIT_S}}))
    screens = [Api(app.test_client()), Api(app.test_client())]
    for screen in screens:
        screen.post("/api/auth/sign-in", {"pin": PINS["S01"]})
    screens[0].post("/api/session/open", {"float": 0})
    yield screens
    app.extensions["till"].devices.close()


def test_card_timeout_leaves_sale_open_and_is_audited(slow_terminal):
    paying, other = slow_terminal
    paying.post("/api/sale/scan", {"code": WINE})  # 959
    paying.post("/api/sim/card", {"outcome": "timeout"})
    answer = {}
    tender = threading.Thread(target=lambda: answer.update(paying.post(
        "/api/sale/tender", {"type": "card"}, status=402)))
    started = time.monotonic()
    tender.start()
    # The other screen is answered while the terminal decides (were the till's lock held,
    # it would only see the charge once answered), and the sale takes no change meanwhile.
    while (other.get("/api/sale")["sale"]["card_attempt"] or {}).get("state") != "pending":
        assert time.monotonic() - started < TERMINAL_WAIT_S, "no pending card attempt"
    assert other.post("/api/sale/scan", {"code": WINE}, status=409)["card_pending"] is True
    tender.join()
    assert (answer["card_status"], answer["card_check"]) == ("timeout", "charge")
    assert "may have been charged" in answer["error"]
    sale = paying.get("/api/sale")["sale"]
    assert (sale["state"], sale["paid"], sale["card_attempt"]["state"]) == ("open", 0, "unknown")
    assert Audit.get(Audit.action == "card.timeout").detail["amount"] == 959
    # No second charge, and no other tender, until the terminal is checked.
    assert paying.post("/api/sale/tender", {"type": "card"}, status=409)["card_check"] == "charge"
    paying.post("/api/sale/tender", {"type": "cash"}, status=409)
    assert paying.post("/api/sale/card-check", {"went_through": False},
                       status=403)["approval"] == "card_check"
    sale = paying.post("/api/sale/card-check", {"went_through": False,
                                                "approver_pin": PINS["S02"]})["sale"]
    assert sale["card_attempt"] is None and sale["paid"] == 0
    assert Audit.get(Audit.action == "approve.card_check").detail["went_through"] is False
    sale = paying.post("/api/sale/tender", {"type": "card"})["sale"]
    assert sale["state"] == "completed"
    assert [a.state for a in CardAttempt.select().order_by(CardAttempt.id)] == [
        "did_not_go_through", "approved"]


def test_a_timed_out_charge_the_terminal_shows_as_paid_is_recorded_once(slow_terminal):
    paying, _ = slow_terminal
    paying.post("/api/sale/scan", {"code": WINE})
    paying.post("/api/sim/card", {"outcome": "timeout"})
    paying.post("/api/sale/tender", {"type": "card", "amount": 500}, status=402)
    sale = paying.post("/api/sale/card-check", {"went_through": True,
                                                "approver_pin": PINS["S02"]})["sale"]
    assert (sale["state"], sale["paid"], sale["payments"][0]["label"]) == (
        "open", 500, "Card (checked)")
    assert "no card payment" in paying.post("/api/sale/card-check", {
        "went_through": True, "approver_pin": PINS["S02"]}, status=409)["error"]
    assert paying.post("/api/sale/tender", {"type": "card"})["sale"]["state"] == "completed"
    assert [p.amount for p in Payment.select().order_by(Payment.id)] == [500, 459]


def test_a_card_refund_that_times_out_is_never_made_twice(slow_terminal):
    paying, _ = slow_terminal
    paying.post("/api/sale/scan", {"code": WINE})
    paying.post("/api/sale/tender", {"type": "card", "amount": 500})
    paying.post("/api/sim/card", {"outcome": "timeout"})
    answer = paying.post("/api/sale/void", {"approver_pin": PINS["S02"]}, status=402)
    assert (answer["card_status"], answer["card_check"]) == ("timeout", "refund")
    assert "may have been refunded" in answer["error"]
    refused = paying.post("/api/sale/void", {"approver_pin": PINS["S02"]}, status=409)
    assert refused["card_check"] == "refund"
    sale = paying.post("/api/sale/card-check", {"went_through": True,
                                                "approver_pin": PINS["S02"]})["sale"]
    assert sale["paid"] == 0 and sale["payments"][1]["label"].startswith("Refund to ")
    # Nothing is left to refund: the void ends the sale without asking the terminal again.
    paying.post("/api/sim/card", {"outcome": "decline"})
    assert paying.post("/api/sale/void", {"approver_pin": PINS["S02"]})["sale"] is None
    assert [(a.kind, a.state) for a in CardAttempt.select().order_by(CardAttempt.id)] == [
        ("charge", "approved"), ("refund", "went_through")]
