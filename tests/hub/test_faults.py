"""Fault tests of the link, against a real mosquitto: whatever is killed, the hub ends
with exactly the sales the tills completed."""
import http.client
import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import psycopg
from peewee import fn

from hub import loyalty
from hub.ingest import Ingest
from hub.models import DeadLetter, LoyaltyEntry, Sale, open_database
from shared.protocol import Envelope, encode
from tests.conftest import USERS
from tests.edge.browser import TillServer
from tests.hub.test_ingest import start_ingest as start_worker
from tests.mqtt_clients import client, hub_online
from tests.postgres import scratch_database
from tests.protocol.test_messages import SALE
from tests.waiting import wait_for

ROOT = Path(__file__).resolve().parents[2]


def start_ingest(db_path, broker, worker="w1"):
    return subprocess.Popen(
        [sys.executable, "-m", "hub", "ingest", "--db", str(db_path), "--port",
         str(broker.port), "--worker", worker], cwd=ROOT, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL, env={**os.environ, "TILLY_HUB_PASSWORD": USERS["hub"]})


def count(db_path, sql="SELECT COUNT(*) FROM sale"):
    with sqlite3.connect(db_path) as db:
        try:
            return db.execute(sql).fetchone()[0]
        except sqlite3.OperationalError:
            return 0  # not created yet


def test_kill_9_on_the_ingest_mid_batch(tmp_path, broker):
    db_path = tmp_path / "hub.sqlite3"
    # A first run registers the worker's persistent session and its subscriptions.
    ingest = start_ingest(db_path, broker)
    wait_for(lambda: hub_online(broker))
    till = client(broker, "store-1/T01")
    sales = 1500
    for seq in range(1, sales + 1):
        message = encode(Envelope(kind="sale.completed", store="store-1", till="T01",
                                  seq=seq, id=f"sale-{seq}", at="2026-11-25T10:00:00+00:00",
                                  body={**SALE, "uuid": f"sale-{seq}", "seq": seq}))
        till.publish("tilly/v1/store-1/T01/sale", message, qos=1)
    wait_for(lambda: 0 < count(db_path) < sales, timeout=30)
    os.kill(ingest.pid, signal.SIGKILL)  # mid-batch
    ingest.wait()
    killed_at = count(db_path)
    again = start_ingest(db_path, broker)
    try:
        wait_for(lambda: count(db_path) == sales, timeout=60)
        time.sleep(1.0)
        assert count(db_path) == sales and killed_at < sales
        assert count(db_path, "SELECT COUNT(*) FROM dead_letter") == 0
    finally:
        again.terminate()
        again.wait()
        till.loop_stop()


def test_kill_9_on_a_till_while_it_publishes(tmp_path, broker, store_file):
    hub_db = open_database(tmp_path / "hub.sqlite3")
    ingest = Ingest(hub_db, {"port": broker.port, "password": USERS["hub"]})
    ingest.start()
    data_dir = tmp_path / "till"
    config = tmp_path / "till.toml"
    config.write_text(f'[hub]\nhost = "127.0.0.1"\nport = {broker.port}\n'
                      f'password = "{USERS["test/T01"]}"\n')
    rng = random.Random(4)
    try:
        for _ in range(20):
            with TillServer(store_file, data_dir, extra=["--config", str(config)]) as till:
                stop = threading.Event()
                seller = threading.Thread(target=sell_until, args=(till, stop))
                seller.start()
                time.sleep(rng.uniform(0.3, 1.0))
                os.kill(till.process.pid, signal.SIGKILL)
                till.process.wait()
                stop.set()
                seller.join()
        # Back once more, left alone: the outbox drains.
        with TillServer(store_file, data_dir, extra=["--config", str(config)]):
            journal = data_dir / "journal.sqlite3"
            wait_for(lambda: count(journal, "SELECT COUNT(*) FROM outbox WHERE confirmed_at"
                                            " IS NULL AND kind = 'sale.completed'") == 0,
                     timeout=30)
            with sqlite3.connect(journal) as db:
                completed = {uuid for (uuid,) in db.execute(
                    "SELECT uuid FROM sale WHERE state = 'completed'")}
            wait_for(lambda: Sale.select().count() >= len(completed), timeout=30)
            time.sleep(0.5)
            assert {sale.uuid for sale in Sale.select()} == completed
            assert len(completed) > 20, "too few sales completed to prove anything"
            # Loyalty points once per sale, however often a sale was sent.
            with_card = [sale for sale in Sale.select() if sale.customer == "C1"]
            assert LoyaltyEntry.select().count() == len(with_card) > 0
            assert loyalty.balance("C1") == sum(sale.total // 100  # a point per 1.00
                                                for sale in with_card)
            assert DeadLetter.select().count() == 0
    finally:
        ingest.stop()


def sell_until(till, stop):
    """Sign in, open the till if needed, and sell (card) until the till dies."""
    from tests.edge.conftest import PINS, WINE

    session = till.session()
    try:
        session.call("POST", "/api/auth/sign-in", {"pin": PINS["S01"]})
        session.call("POST", "/api/session/open", {"float": 0}, ok=(200, 409))
        sale = session.call("GET", "/api/sale", ok=(200, 404))[1].get("sale") or {}
        if (sale.get("card_attempt") or {}).get("state") == "unknown":
            # Killed mid-charge: the simulated terminal died with it, so nothing was taken.
            session.call("POST", "/api/sale/card-check", {"went_through": False,
                                                          "approver_pin": PINS["S02"]})
        while not stop.is_set():
            session.call("POST", "/api/sale/scan", {"code": WINE}, ok=(200, 409))
            session.call("POST", "/api/sale/scan", {"code": "LC1001"}, ok=(200, 409))  # C1
            session.call("POST", "/api/sale/tender", {"type": "card"}, ok=(200, 409))
    except (OSError, ValueError, http.client.HTTPException):
        return


def queued_till(tmp_path, count):
    """A till's journal with ``count`` sales waiting in its outbox."""
    from edge.journal import Journal
    from edge.models import Outbox
    from edge.models import open_database as open_journal

    journal = Journal(open_journal(tmp_path / "journal.sqlite3"), "T01")
    with journal.db.atomic():
        for start in range(0, count, 1000):
            Outbox.insert_many([{"kind": "sale.completed",
                                 "payload": {**SALE, "uuid": f"q-{n}", "seq": n}}
                                for n in range(start + 1, min(start + 1000, count) + 1)]
                               ).execute()
    return journal


def link(journal, broker):
    from edge.publisher import Publisher

    publisher = Publisher(journal, "store-1", "T01", {"port": broker.port,
                                                      "password": USERS["store-1/T01"],
                                                      "max_backoff_s": 2})
    publisher.start()
    return publisher


def test_a_till_reconnecting_with_20000_sales_queued(tmp_path, broker):
    journal = queued_till(tmp_path, 20_000)
    ingest = Ingest(open_database(tmp_path / "hub.sqlite3"),
                    {"port": broker.port, "password": USERS["hub"]})
    ingest.start()
    publisher = link(journal, broker)
    try:
        wait_for(lambda: Sale.select().count() == 20_000, timeout=120)
        wait_for(lambda: journal.outbox_backlog() == 0, timeout=30)
        assert DeadLetter.select().count() == 0
    finally:
        publisher.stop()
        ingest.stop()


def test_the_broker_stopped_mid_stream_then_restarted(tmp_path, broker):
    """mosquitto 2.0.11 forgets the ingest's shared subscriptions over a restart and drops
    what it gets before the worker subscribes again; the till sends it again, as the hub
    never confirmed it (on its reconnection, or when the hub's state says online)."""
    journal = queued_till(tmp_path, 3000)
    ingest = Ingest(open_database(tmp_path / "hub.sqlite3"),
                    {"port": broker.port, "password": USERS["hub"]})
    ingest.start()
    publisher = link(journal, broker)
    try:
        wait_for(lambda: 0 < Sale.select().count() < 3000, timeout=30)
        broker.stop()
        time.sleep(1.0)
        broker.start()
        wait_for(lambda: Sale.select().count() == 3000, timeout=90)
        wait_for(lambda: journal.outbox_backlog() == 0, timeout=30)
        time.sleep(0.5)
        assert Sale.select().count() == 3000 and DeadLetter.select().count() == 0
    finally:
        publisher.stop()
        ingest.stop()


def test_sales_delivered_several_times_each_in_shuffled_order(hub_db, broker):
    """Straight from a client logged in as the till: each of 300 sales three times, the
    deliveries shuffled, into two workers; the hub has each sale once, totals right."""
    workers = [start_worker(hub_db, broker, name) for name in ("w1", "w2")]
    totals = {f"mix-{seq}": 100 * seq + seq % 7 for seq in range(1, 301)}
    deliveries = [(seq, uuid) for seq, uuid in enumerate(totals, start=1)] * 3
    random.Random(5).shuffle(deliveries)
    till = client(broker, "store-1/T01")
    try:
        for seq, uuid in deliveries:
            body = {**SALE, "uuid": uuid, "seq": seq,
                    "result": {**SALE["result"], "total": totals[uuid]}}
            till.publish("tilly/v1/store-1/T01/sale", encode(Envelope(
                kind="sale.completed", store="store-1", till="T01", seq=seq, id=uuid,
                at="2026-11-25T10:00:00+00:00", body=body)), qos=1)
        wait_for(lambda: Sale.select().count() == len(totals), timeout=60)
        time.sleep(1.0)
        assert {sale.uuid: sale.total for sale in Sale.select()} == totals
        assert Sale.select(fn.SUM(Sale.total)).scalar() == sum(totals.values())
        assert DeadLetter.select().count() == 0
    finally:
        till.loop_stop()
        for worker in workers:
            worker.stop()


def test_the_database_connection_lost_mid_stream(broker):
    """PostgreSQL drops the worker's connection (as a server restart would): the worker
    applies the batch again on a new one, and every sale lands once."""
    with scratch_database() as url, psycopg.connect(url, autocommit=True) as admin:
        hub_db = open_database(url)
        worker = start_worker(hub_db, broker)
        till = client(broker, "store-1/T01")
        try:
            for seq in range(1, 401):
                if seq == 200:
                    wait_for(lambda: Sale.select().count() >= 150)
                    admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                  "WHERE datname = current_database() AND pid <> "
                                  "pg_backend_pid()")
                    hub_db.close()  # this test's own connection went too
                till.publish("tilly/v1/store-1/T01/sale", encode(Envelope(
                    kind="sale.completed", store="store-1", till="T01", seq=seq,
                    id=f"pg-{seq}", at="2026-11-25T10:00:00+00:00",
                    body={**SALE, "uuid": f"pg-{seq}", "seq": seq})), qos=1)
            wait_for(lambda: Sale.select().count() == 400, timeout=30)
            assert DeadLetter.select().count() == 0
        finally:
            till.loop_stop()
            worker.stop()
