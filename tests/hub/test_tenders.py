"""Vouchers and store credit at the hub: debits only when approved, never overdrawn (two
tills at once included, on SQLite and PostgreSQL), each request answered once, releases
taken back once or turned into tombstones, refunds credited once per sale."""
import threading
import uuid

import pytest

from hub import tenders
from hub.ingest import apply
from hub.models import (
    AuditEntry,
    SaleCheck,
    StoreCredit,
    TenderEntry,
    Voucher,
    open_database,
)
from hub.tender_server import TenderServer
from shared.protocol import Envelope, decode, encode
from tests.hub.test_ingest import TOPIC, sale_message


@pytest.fixture
def sqlite_db(tmp_path):
    """The hub's store on SQLite alone, for what does not hang on the database's locking
    (the rest runs on PostgreSQL too)."""
    return open_database(tmp_path / "hub.sqlite3")


def request(account, amount, tender="voucher", request_id=None):
    return {"request": request_id or str(uuid.uuid4()), "tender": tender, "account": account,
            "amount": amount, "sale": "sale-1"}


def redeem(hub_db, body, store="store-1", till="T01", today="2026-12-03"):
    return tenders.redeem(hub_db, store, till, body, today=today)


def consistent(tender, account):
    """The account's balance is the sum of its entries."""
    entries = tenders.history(tender, account)
    return sum(entry.amount for entry in entries) == tenders._balance(tender, account)


def test_a_voucher_pays_until_it_is_spent(sqlite_db):
    voucher = tenders.issue_voucher("admin", 2000)
    assert len(voucher.code) == 19 and voucher.code.count("-") == 3
    first = redeem(sqlite_db, request(voucher.code.lower().replace("-", ""), 1500))
    assert (first["ok"], first["balance"]) == (True, 500)
    second = redeem(sqlite_db, request(voucher.code, 600))
    assert (second["ok"], second["reason"], second["balance"]) == (False, "insufficient", 500)
    assert "5.00 left" in second["error"]
    assert redeem(sqlite_db, request(voucher.code, 500))["balance"] == 0
    assert consistent("voucher", voucher.code)
    assert [entry.kind for entry in tenders.history("voucher", voucher.code)] == \
        ["redeem", "redeem", "issue"]


def test_unknown_void_and_expired_vouchers_are_refused(sqlite_db):
    assert redeem(sqlite_db, request("NOPE-NOPE-NOPE-NOPE", 100))["reason"] == "unknown"
    voided = tenders.issue_voucher("admin", 1000)
    tenders.void_voucher("admin", voided.code, "stolen")
    assert redeem(sqlite_db, request(voided.code, 100))["reason"] == "void"
    old = tenders.issue_voucher("admin", 1000, expires="2026-12-02")
    answer = redeem(sqlite_db, request(old.code, 100))
    assert (answer["reason"], answer["error"]) == ("expired",
                                                   "that voucher expired on 2026-12-02")
    assert Voucher.get(Voucher.code == old.code).balance == 1000
    assert {entry.action for entry in AuditEntry.select()} == {"voucher.issue", "voucher.void"}


def test_the_same_request_twice_gets_the_same_answer_and_debits_once(hub_db):
    voucher = tenders.issue_voucher("admin", 1000)
    body = request(voucher.code, 300)
    assert redeem(hub_db, body) == redeem(hub_db, body)
    assert Voucher.get(Voucher.code == voucher.code).balance == 700
    # Another till naming the same request id gets nothing.
    assert redeem(hub_db, body, till="T02")["reason"] == "invalid"


def test_a_release_takes_back_once_and_a_release_first_is_a_tombstone(hub_db):
    voucher = tenders.issue_voucher("admin", 1000)
    body = request(voucher.code, 400)
    redeem(hub_db, body)
    release = {**body, "reason": "timeout"}
    assert tenders.release("store-1", "T01", release) == "applied"
    assert tenders.release("store-1", "T01", release) == "duplicate"
    assert Voucher.get(Voucher.code == voucher.code).balance == 1000
    # Released before the hub saw it: the late request is refused, and debits nothing.
    late = request(voucher.code, 400)
    assert tenders.release("store-1", "T01", {**late, "reason": "timeout"}) == "applied"
    assert redeem(hub_db, late)["reason"] == "released"
    assert Voucher.get(Voucher.code == voucher.code).balance == 1000
    assert consistent("voucher", voucher.code)


def test_store_credit_by_customer(sqlite_db):
    assert redeem(sqlite_db, request("C1", 100, "store_credit"))["error"] == \
        "the customer has no store credit"
    tenders.adjust_credit("admin", "C1", 1000, "goodwill", "form-1")
    tenders.adjust_credit("admin", "C1", 1000, "goodwill", "form-1")  # sent twice
    assert redeem(sqlite_db, request("C1", 250, "store_credit"))["balance"] == 750
    with pytest.raises(tenders.TenderError, match="below zero"):
        tenders.adjust_credit("admin", "C1", -800, "mistake", "form-2")
    assert StoreCredit.get_by_id("C1").balance == 750
    assert consistent("store_credit", "C1")


@pytest.mark.parametrize("tills", [6])
def test_tills_redeeming_one_voucher_at_once_never_overdraw(hub_db, tills):
    """Each till on its own database connection (a hub worker's), all at once."""
    voucher = tenders.issue_voucher("admin", 1000)
    hub_db.close()
    answers, start = [], threading.Barrier(tills)

    def till(number):
        start.wait()
        answers.append(redeem(hub_db, request(voucher.code, 300), till=f"T{number:02d}"))
        hub_db.close()

    threads = [threading.Thread(target=till, args=(number,)) for number in range(tills)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(answer["ok"] for answer in answers) == 3
    assert {answer["reason"] for answer in answers if not answer["ok"]} == {"insufficient"}
    assert Voucher.get(Voucher.code == voucher.code).balance == 100
    assert consistent("voucher", voucher.code)


def test_a_refund_credits_once_however_often_the_sale_arrives(hub_db):
    voucher = tenders.issue_voucher("admin", 1000)
    redeem(hub_db, request(voucher.code, 1000))
    payments = [{"type": "voucher", "amount": -600, "account": voucher.code,
                 "reference": "r-1"},
                {"type": "store_credit", "amount": -150, "account": "C1", "reference": "r-2"}]
    message = sale_message("u-9", 9, kind="refund", payments=payments)
    assert [apply(hub_db, TOPIC, message) for _ in range(2)] == ["applied", "duplicate"]
    assert Voucher.get(Voucher.code == voucher.code).balance == 600
    assert StoreCredit.get_by_id("C1").balance == 150
    assert TenderEntry.select().where(TenderEntry.kind == "refund").count() == 2


def test_the_server_answers_requests_and_refuses_what_it_cannot_read(sqlite_db):
    voucher = tenders.issue_voucher("admin", 1000)
    server = TenderServer.__new__(TenderServer)  # its answers alone, without a broker
    server.database = sqlite_db
    body = request(voucher.code, 100)
    payload = encode(Envelope(kind="tender.request", store="store-1", till="T01", seq=5,
                              id=body["request"], at="-", body=body))
    topic, reply = server.answer("tilly/v1/store-1/T01/tender", payload)
    assert topic == "tilly/v1/hub/store-1/T01/tender"
    assert decode(reply).body["balance"] == 900
    # In another till's name: the topic (the broker's ACL) decides, and that is refused.
    topic, reply = server.answer("tilly/v1/store-1/T02/tender", payload)
    assert topic == "tilly/v1/hub/store-1/T02/tender"
    assert decode(reply).body["reason"] == "invalid"
    bad = payload.replace(b'"amount":100', b'"amount":-5')
    assert decode(server.answer("tilly/v1/store-1/T01/tender", bad)[1]).body["reason"] == \
        "invalid"
    assert server.answer("tilly/v1/store-1/T01/tender", b"junk") is None
    assert Voucher.get(Voucher.code == voucher.code).balance == 900


def test_releases_come_through_the_ingest_and_requests_do_not(sqlite_db):
    voucher = tenders.issue_voucher("admin", 1000)
    body = request(voucher.code, 400)
    redeem(sqlite_db, body)

    def on(level, kind, body, seq=3):
        return apply(sqlite_db, f"tilly/v1/store-1/T01/{level}", encode(Envelope(
            kind=kind, store="store-1", till="T01", seq=seq, id=body["request"], at="-",
            body=body)))

    release = {**body, "reason": "void"}
    assert [on("release", "tender.release", release) for _ in range(2)] == \
        ["applied", "duplicate"]
    assert Voucher.get(Voucher.code == voucher.code).balance == 1000
    assert on("tender", "tender.request", request(voucher.code, 100)) == "dead"
    assert Voucher.get(Voucher.code == voucher.code).balance == 1000


def test_a_sale_paid_by_a_voucher_the_hub_did_not_approve_is_flagged(sqlite_db):
    voucher = tenders.issue_voucher("admin", 2000)
    approved = request(voucher.code, 200)
    assert redeem(sqlite_db, approved)["ok"]

    def paid(uuid, seq, reference, amount=200):
        apply(sqlite_db, TOPIC, sale_message(uuid=uuid, seq=seq, payments=[
            {"type": "voucher", "amount": amount, "reference": reference,
             "account": voucher.code}]))
        return SaleCheck.get(SaleCheck.sale == uuid)

    assert not any("voucher" in problem for problem in
                   paid("u-ok", 1, approved["request"]).problems)
    forged = paid("u-forged", 2, str(uuid.uuid4()))
    assert forged.status == "mismatch"
    assert "payment 1: voucher 200 was not approved by the hub" in forged.problems[-1]
    assert paid("u-more", 3, approved["request"], amount=300).status == "mismatch"
