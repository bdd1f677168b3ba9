"""Vouchers and store credit end to end: a till (real journal) asks a real ingest worker
through a real Mosquitto; the hub's ledgers say what was taken, and given back."""
import contextlib
import sqlite3
import threading

import pytest

from edge.app import create_app
from edge.config import merge
from edge.models import Outbox, TenderAttempt
from hub import loyalty_program, tenders
from hub.ingest import Ingest
from hub.models import (
    CustomerStats,
    Sale,
    StoreCredit,
    TenderEntry,
    TillPresence,
    Voucher,
    open_database,
)
from shared.protocol import Envelope, HubState, encode, encode_state
from shared.protocol.topics import HUB_STATE
from tests.catalog.test_push import till_process
from tests.conftest import USERS
from tests.edge.browser import TillServer
from tests.edge.conftest import MILK, PINS, WINE, Api
from tests.mqtt_clients import client, hub_online
from tests.waiting import wait_for


@pytest.fixture
def hub(tmp_path):
    return open_database(tmp_path / "hub.sqlite3")


@pytest.fixture
def ingest(broker):
    """Starts an ingest worker on a database (its state online) when called; each is
    stopped after."""
    workers = []

    def start(database, name="1"):
        worker = Ingest(database, {"port": broker.port, "password": USERS["hub"]}, name)
        worker.start()
        wait_for(lambda: hub_online(broker))
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        if not worker.stopping.is_set():
            worker.stop()


@contextlib.contextmanager
def linked_till(till_config, broker, online=True, **hub_settings):
    """A till with its link to the broker, a cashier signed in and the till open."""
    app = create_app(merge(till_config, {"hub": {"host": "127.0.0.1", "port": broker.port,
                                                 "password": "till-secret",
                                                 "tender_timeout_s": 2, **hub_settings}}))
    till = app.extensions["till"]
    try:
        wait_for(till.link.connected.is_set)
        if online:
            wait_for(till.link.reachable)
        api = Api(app.test_client())
        api.post("/api/auth/sign-in", {"pin": PINS["S01"]})
        if till.journal.current_session() is None:
            api.post("/api/session/open", {"float": 0})
        yield api, till
    finally:
        till.link.stop()
        till.devices.close()


def worker_away(hub, ingest, broker):
    """The ingest worker stopped (its session kept: requests wait for it at the broker),
    while a client says the hub is online; that client, to stop after."""
    ingest(hub).stop()
    fake = client(broker, "hub")
    fake.publish(HUB_STATE, encode_state(HubState(True, "fake", "-")), qos=1,
                 retain=True).wait_for_publish(5)
    return fake


def balance(code):
    return Voucher.get(Voucher.code == code).balance


def kinds(code):
    return sorted(entry.kind for entry in tenders.history("voucher", code))


def test_vouchers_pay_in_part_or_in_full_and_refusals_are_clear(hub, ingest, broker, till_config):
    part, full = tenders.issue_voucher("admin", 500), tenders.issue_voucher("admin", 2000)
    void = tenders.issue_voucher("admin", 2000)
    tenders.void_voucher("admin", void.code, "lost")
    expired = tenders.issue_voucher("admin", 2000, expires="2020-01-01")
    ingest(hub)
    with linked_till(till_config, broker) as (api, till):
        api.post("/api/sale/scan", {"code": WINE})  # 9.59
        refused = api.post("/api/sale/tender", {"type": "voucher", "code": part.code},
                           status=402)
        assert refused["error"] == "voucher refused: not enough on the voucher: " \
            "5.00 left"
        assert (refused["tender_status"], refused["balance"]) == ("insufficient", 500)
        for code, reason in (("ABCD-EFGH-JKMN-PQRS", "no voucher with that code"),
                             (void.code, "that voucher has been voided"),
                             (expired.code, "that voucher expired on 2020-01-01")):
            refused = api.post("/api/sale/tender", {"type": "voucher", "code": code},
                               status=402)
            assert refused["error"] == f"voucher refused: {reason}"
        assert api.post("/api/sale/tender", {"type": "store_credit"},
                        status=409)["customer_needed"]
        sale = api.post("/api/sale/tender", {"type": "voucher", "amount": 500,
                                             "code": part.code.lower()})["sale"]
        assert (sale["state"], sale["remaining"]) == ("open", 459)
        assert sale["payments"][0]["label"] == f"Voucher ••{part.code[-4:]} (£0.00 left)"
        assert api.post("/api/sale/tender", {"type": "cash", "amount": 500})["sale"][
            "state"] == "completed"
        # In full; the receipt names the voucher and what is left on it.
        api.post("/api/sale/scan", {"code": WINE})
        sale = api.post("/api/sale/tender", {"type": "voucher", "code": full.code})["sale"]
        assert sale["state"] == "completed"
        assert f"Voucher ••{full.code[-4:]} (£10.41 left)" in \
            till.devices.printer.last_text
        wait_for(lambda: Sale.select().count() == 2)
    assert (balance(part.code), balance(full.code)) == (0, 1041)
    assert (balance(void.code), balance(expired.code)) == (2000, 2000)
    assert kinds(full.code) == ["issue", "redeem"]


def test_store_credit_needs_the_customer_and_pays(hub, ingest, broker, till_config):
    tenders.adjust_credit("admin", "C1", 300, "goodwill", "form-1")
    ingest(hub)
    with linked_till(till_config, broker) as (api, _):
        api.post("/api/sale/scan", {"code": "LC1001"})
        api.post("/api/sale/scan", {"code": MILK})  # 1.00
        sale = api.post("/api/sale/tender", {"type": "store_credit"})["sale"]
        assert sale["state"] == "completed"
        assert sale["payments"][0]["label"] == "Store credit (£2.00 left)"
    assert StoreCredit.get_by_id("C1").balance == 200


def test_loyalty_points_pay_with_the_hubs_approval(hub, ingest, broker, till_config):
    loyalty_program.save("mo", {"minor_per_point": "1.00", "redeem_value": "0.01"})
    CustomerStats.create(customer="C1", points=150)  # 1.50 to spend
    ingest(hub)
    with linked_till(till_config, broker) as (api, _):
        api.post("/api/sale/scan", {"code": MILK})
        needs = api.post("/api/sale/tender", {"type": "points"}, status=409)
        assert needs["error"] == "loyalty points need the customer: scan their loyalty " \
            "card first"
        api.post("/api/sale/scan", {"code": "LC1001"})
        sale = api.post("/api/sale/tender", {"type": "points"})["sale"]
        assert sale["state"] == "completed"
        assert sale["payments"][0]["label"] == "Loyalty points (£0.50 left)"
        wait_for(lambda: Sale.select().count() == 1)  # the sale too: paid with points,
    assert CustomerStats.get_by_id("C1").points == 50  # it earned none


def test_without_the_hub_the_till_refuses_at_once(till_config, broker, app, cashier):
    cashier.post("/api/sale/scan", {"code": WINE})
    refused = cashier.post("/api/sale/tender", {"type": "voucher", "code": "X"}, status=503)
    assert refused["error"] == "voucher needs the hub, which this till cannot reach: take " \
        "another tender"
    with linked_till(merge(till_config, {"till": {"data_dir": till_config["till"]["data_dir"]
                                                  + "-2"}}), broker, online=False) as (api, _):
        api.post("/api/sale/scan", {"code": WINE})  # connected, but no hub worker runs
        api.post("/api/sale/tender", {"type": "voucher", "code": "X"}, status=503)


def test_no_answer_in_time_is_refused_and_released(hub, ingest, broker, till_config):
    """The worker is away (its session kept), though the hub's state says online: the
    request waits at the broker, the till gives up and releases it through its outbox.
    When the worker is back, whatever order it gets them in, nothing stays taken."""
    voucher = tenders.issue_voucher("admin", 1000)
    fake = worker_away(hub, ingest, broker)
    try:
        with linked_till(till_config, broker, tender_timeout_s=0.5) as (api, till):
            api.post("/api/sale/scan", {"code": WINE})
            refused = api.post("/api/sale/tender", {"type": "voucher", "code": voucher.code},
                               status=504)
            assert refused["error"] == "the hub did not answer in time: nothing is taken " \
                "off the voucher. Take another tender"
            assert Outbox.get(Outbox.kind == "tender.release").payload["reason"] == "timeout"
            ingest(hub)
            wait_for(lambda: till.journal.outbox_backlog() == 0)
            wait_for(lambda: kinds(voucher.code) in (["issue"], ["issue", "redeem", "release"]))
        assert balance(voucher.code) == 1000
    finally:
        fake.loop_stop()


def test_a_void_after_a_voucher_payment_gives_it_back(hub, ingest, broker, till_config):
    voucher = tenders.issue_voucher("admin", 1000)
    ingest(hub)
    with linked_till(till_config, broker) as (api, till):
        api.post("/api/sale/scan", {"code": WINE})
        api.post("/api/sale/tender", {"type": "voucher", "amount": 600,
                                      "code": voucher.code})
        assert balance(voucher.code) == 400
        api.post("/api/sale/void", {"approver_pin": PINS["S02"]})
        wait_for(lambda: balance(voucher.code) == 1000)
        wait_for(lambda: till.journal.outbox_backlog() == 0)
    assert kinds(voucher.code) == ["issue", "redeem", "release"]


def test_a_voucher_payment_taken_off_goes_back_once(hub, ingest, broker, till_config):
    voucher = tenders.issue_voucher("admin", 1000)
    ingest(hub)
    with linked_till(till_config, broker) as (api, till):
        api.post("/api/sale/scan", {"code": WINE})
        paid = api.post("/api/sale/tender", {"type": "voucher", "amount": 600,
                                             "code": voucher.code})["sale"]
        take_off = {"reference": paid["payments"][0]["reference"]}
        api.post("/api/sale/payments/take-off", take_off, status=403)
        api.post("/api/sale/payments/take-off", {"reference": "nope",
                                                 "approver_pin": PINS["S02"]}, status=404)
        sale = api.post("/api/sale/payments/take-off", {**take_off,
                                                        "approver_pin": PINS["S02"]})["sale"]
        assert (sale["payments"], sale["remaining"]) == ([], 959)
        api.post("/api/sale/tender", {"type": "cash", "amount": 1000})
        wait_for(lambda: Sale.select().count() == 1)
        wait_for(lambda: till.journal.outbox_backlog() == 0)
    assert balance(voucher.code) == 1000
    assert kinds(voucher.code) == ["issue", "redeem", "release"]


def test_the_excess_after_a_line_void_goes_back_to_the_voucher(hub, ingest, broker,
                                                                till_config):
    voucher = tenders.issue_voucher("admin", 1000)
    ingest(hub)
    with linked_till(till_config, broker) as (api, till):
        api.post("/api/sale/scan", {"code": WINE})
        api.post("/api/sale/scan", {"code": MILK})
        api.post("/api/sale/tender", {"type": "voucher", "amount": 600, "code": voucher.code})
        api.post("/api/sale/lines/1/void", {"approver_pin": PINS["S02"]})  # 1.00 left due
        sale = api.post("/api/sale/complete")["sale"]
        assert [(payment["type"], payment["amount"]) for payment in sale["payments"]] == \
            [("voucher", 600), ("voucher", -500)]
        wait_for(lambda: balance(voucher.code) == 900)  # credited when the hub ingests it
        wait_for(lambda: till.journal.outbox_backlog() == 0)
    assert kinds(voucher.code) == ["issue", "redeem", "refund"]


def test_a_refund_goes_back_to_the_voucher_once(hub, ingest, broker, till_config):
    voucher = tenders.issue_voucher("admin", 2000)
    worker = ingest(hub)
    with linked_till(till_config, broker) as (api, till):
        api.post("/api/sale/scan", {"code": WINE})
        api.post("/api/sale/scan", {"code": MILK})
        sold = api.post("/api/sale/tender", {"type": "voucher", "code": voucher.code})
        assert balance(voucher.code) == 2000 - sold["sale"]["total"]
        worker.stop()  # refunds need no hub: credited when it ingests them
        api.post("/api/returns", {"code": sold["sale"]["ref"]})
        refund = api.post("/api/sale/return-lines", {"original_position": 1})["sale"]
        assert [(part["type"], part["amount"]) for part in refund["refund_to"]] == \
            [("voucher", 959)]
        refund = api.post("/api/sale/refund", {"approver_pin": PINS["S02"]})["sale"]
        assert refund["payments"][0]["amount"] == -959
        ingest(hub)
        wait_for(lambda: Sale.select().count() == 2)
        assert balance(voucher.code) == 2000 - 100
        # The refund delivered again: credited once.
        row = Sale.get(Sale.kind == "refund")
        raw = client(broker, "test/T01")
        raw.publish("tilly/v1/test/T01/sale", encode(Envelope(
            kind="sale.completed", store="test", till="T01", seq=99, id=row.uuid,
            at="-", body=row.body)), qos=1).wait_for_publish(5)
        raw.loop_stop()
        wait_for(lambda: till.journal.outbox_backlog() == 0)
    assert balance(voucher.code) == 1900
    assert TenderEntry.select().where(TenderEntry.kind == "refund").count() == 1


def test_two_tills_at_once_through_two_workers_never_overdraw(hub_db, ingest, broker,
                                                               till_config, store_file,
                                                               tmp_path):
    """On SQLite and PostgreSQL: each worker may get either request. The second till is a
    process of its own (a till's journal is bound for its whole process)."""
    voucher = tenders.issue_voucher("admin", 1000)
    ingest(hub_db, "w1"), ingest(hub_db, "w2")
    answers, start = [], threading.Barrier(2)
    with linked_till(till_config, broker) as (first, _), \
            till_process(store_file, tmp_path, broker.port, "T02") as server:
        second = server.session()
        second.call("POST", "/api/auth/sign-in", {"pin": PINS["S01"]})
        second.call("POST", "/api/session/open", {"float": 0})
        # Its birth reached the hub: it is connected, and has the hub's retained state.
        wait_for(lambda: TillPresence.select().where((TillPresence.till == "T02")
                                                      & TillPresence.online).exists())
        first.post("/api/sale/scan", {"code": WINE})
        second.call("POST", "/api/sale/scan", {"code": WINE})
        pay = {"type": "voucher", "amount": 600, "code": voucher.code}

        def pay_first():
            start.wait()
            response = first.client.post("/api/sale/tender", json=pay)
            answers.append((response.status_code, response.get_json()))

        def pay_second():
            start.wait()
            answers.append(second.call("POST", "/api/sale/tender", pay, ok=(200, 402, 503)))

        threads = [threading.Thread(target=pay_first), threading.Thread(target=pay_second)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert sorted(status for status, _ in answers) == [200, 402], answers
    refused = next(answer for status, answer in answers if status == 402)
    assert (refused["tender_status"], refused["balance"]) == ("insufficient", 400)
    assert balance(voucher.code) == 400


def test_a_pending_request_freezes_the_sale_and_a_restart_releases_it(hub, ingest, broker,
                                                                     till_config):
    """What a kill -9 leaves: the request pending in the journal, approved at the hub."""
    voucher = tenders.issue_voucher("admin", 1000)
    ingest(hub)
    with linked_till(till_config, broker) as (api, till):
        api.post("/api/sale/scan", {"code": WINE})
        sale = till.journal.open_sale()
        attempt = till.journal.start_tender_attempt(sale, "voucher", voucher.code, 700)
        tenders.redeem(hub, "test", "T01", {"request": attempt.request,
                                            "tender": "voucher", "account": voucher.code,
                                            "amount": 700, "sale": sale.uuid})
        assert balance(voucher.code) == 300
        api.post("/api/sale/tender", {"type": "cash"}, status=409)  # frozen meanwhile
    with linked_till(till_config, broker) as (api, till):  # the restart
        assert TenderAttempt.get().state == "released"
        wait_for(lambda: balance(voucher.code) == 1000)
        assert api.post("/api/sale/tender", {"type": "cash"})["sale"]["state"] == \
            "completed"


def test_a_till_process_killed_mid_request_releases_it_on_restart(hub, ingest, broker,
                                                                  tmp_path, store_file):
    """kill -9 while the till waits for the hub (its request held at the broker); the
    worker back, then the till: nothing stays taken."""
    voucher = tenders.issue_voucher("admin", 1000)
    fake = worker_away(hub, ingest, broker)
    config = tmp_path / "till.toml"
    config.write_text(f'[hub]\nhost = "127.0.0.1"\nport = {broker.port}\n'
                      'password = "till-secret"\ntender_timeout_s = 60\n')
    till = [store_file, tmp_path / "killed", ["--config", str(config)]]

    def journal(sql):
        with contextlib.closing(sqlite3.connect(tmp_path / "killed" / "journal.sqlite3",
                                                timeout=5)) as db:
            return db.execute(sql).fetchall()

    try:
        with TillServer(*till) as server:
            api = server.session()
            api.call("POST", "/api/auth/sign-in", {"pin": PINS["S01"]})
            api.call("POST", "/api/session/open", {"float": 0})
            api.call("POST", "/api/sale/scan", {"code": WINE})

            def pay():  # refused at once until the till's link is up, then waits
                with contextlib.suppress(OSError):
                    while api.call("POST", "/api/sale/tender", {
                            "type": "voucher", "code": voucher.code}, ok=(503,))[0] == 503:
                        pass
            threading.Thread(target=pay, daemon=True).start()
            wait_for(lambda: journal("SELECT state FROM tender_attempt") == [("pending",)])
            server.process.kill()
            server.process.wait()
        ingest(hub)
        with TillServer(*till):
            assert journal("SELECT state FROM tender_attempt") == [("released",)]
            wait_for(lambda: journal("SELECT COUNT(*) FROM outbox WHERE confirmed_at IS NULL")
                     == [(0,)])
            # The broker kept the request for the worker: it debited, then the release undid it.
            wait_for(lambda: kinds(voucher.code) == ["issue", "redeem", "release"])
        assert balance(voucher.code) == 1000
    finally:
        fake.loop_stop()
