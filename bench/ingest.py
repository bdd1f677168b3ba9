"""Benchmark of the link: sales from many tills through mosquitto into the hub, once each.

200 simulated tills (one MQTT connection and login each) publish 5-line sales at QoS 1
through a real mosquitto started with the project's configuration. Measured in the same
run: the raw broker rate (a plain subscriber discarding the same messages) and the hub's
sustained ingest rate (each sale applied exactly once to the hub's SQLite store).

    .venv/bin/python bench/ingest.py [--tills 200] [--sales 50]
"""
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import argparse  # noqa: E402
import os  # noqa: E402
import queue  # noqa: E402
import sqlite3  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402

import paho.mqtt.client as mqtt  # noqa: E402
from paho.mqtt.enums import CallbackAPIVersion  # noqa: E402

from bench.report import publish, target_lines  # noqa: E402
from hub.models import open_database  # noqa: E402
from shared.protocol import Envelope, encode  # noqa: E402
from tests.broker import Broker  # noqa: E402

OUT = ROOT / "bench" / "out" / "ingest.json"
TARGET = 2000  # sales/s
PASSWORD = "bench-secret"


def sale(till, seq):
    """A 5-line card sale of ``till``, as the till's journal writes it."""
    uuid = f"{till}-{seq}"
    lines = [{"position": n, "sku": f"SKU{n}", "qty": n, "weight_g": None,
              "unit_price": 100 * n, "voided": False} for n in range(1, 6)]
    total = sum(line["qty"] * line["unit_price"] for line in lines)
    body = {"uuid": uuid, "till": till, "seq": seq, "ref": f"{till}-{seq:06d}", "kind": "sale",
            "cashier": "S01", "customer": None, "opened_at": "2026-11-25T10:00:00+00:00",
            "completed_at": "2026-11-25T10:01:00+00:00", "lines": lines,
            "payments": [{"type": "card", "amount": total}],
            "result": {"subtotal": total, "total": total, "tax_total": 0, "taxes": [],
                       "lines": []}, "rounding": 0, "change": 0}
    return encode(Envelope(kind="sale.completed", store="bench", till=till, seq=seq, id=uuid,
                           at="2026-11-25T10:01:00+00:00", body=body))


def connect(broker, user):
    client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    client.username_pw_set(user, PASSWORD)
    client.max_inflight_messages_set(100)
    client.max_queued_messages_set(0)
    client.connect("127.0.0.1", broker.port)
    client.loop_start()
    return client


def publish_all(clients, messages):
    """Every till publishes its sales, all tills at once; returns when all are sent."""
    def run(client, till_messages):
        for topic, payload in till_messages:
            client.publish(topic, payload, qos=1)
    threads = [threading.Thread(target=run, args=(client, messages[till]))
               for till, client in clients.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def raw_rate(broker, clients, messages, total):
    """A plain subscriber that discards what it gets: the broker's own rate."""
    received = queue.Queue()
    count = [0]

    def on_message(client, userdata, message):
        count[0] += 1
        if count[0] == total:
            received.put(time.perf_counter())
    subscriber = connect(broker, "hub")
    subscriber.on_message = on_message
    subscriber.subscribe("tilly/v1/bench/+/sale", qos=1)
    time.sleep(0.5)
    start = time.perf_counter()
    publish_all(clients, messages)
    end = received.get(timeout=300)
    subscriber.loop_stop()
    subscriber.disconnect()
    return total / (end - start)


def ingest_rate(broker, clients, messages, total, work):
    """The hub's ingest worker in its own process, as it runs for real."""
    db_path = Path(work) / "hub.sqlite3"
    open_database(db_path)
    worker = subprocess.Popen(
        [sys.executable, "-m", "hub", "ingest", "--db", str(db_path), "--port",
         str(broker.port)], cwd=ROOT, stdout=subprocess.DEVNULL,
        env={**os.environ, "TILLY_HUB_PASSWORD": PASSWORD})
    time.sleep(1.5)
    start = time.perf_counter()
    publish_all(clients, messages)
    with sqlite3.connect(db_path) as db:
        while db.execute("SELECT COUNT(*) FROM sale").fetchone()[0] < total:
            time.sleep(0.02)
        elapsed = time.perf_counter() - start
        time.sleep(0.5)
        stored = db.execute("SELECT COUNT(*) FROM sale").fetchone()[0]
    worker.terminate()
    worker.wait()
    return total / elapsed, stored


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tills", type=int, default=200)
    parser.add_argument("--sales", type=int, default=50, help="sales per till")
    args = parser.parse_args()
    tills = [f"T{n:03d}" for n in range(1, args.tills + 1)]
    messages = {till: [(f"tilly/v1/bench/{till}/sale", sale(till, seq))
                       for seq in range(1, args.sales + 1)] for till in tills}
    total = args.tills * args.sales
    with tempfile.TemporaryDirectory() as work:
        users = {"hub": PASSWORD, **{f"bench/{till}": PASSWORD for till in tills}}
        broker = Broker(Path(work) / "broker", users).start()
        try:
            clients = {till: connect(broker, f"bench/{till}") for till in tills}
            raw = raw_rate(broker, clients, messages, total)
            hub, stored = ingest_rate(broker, clients, messages, total, work)
            for client in clients.values():
                client.loop_stop()
        finally:
            broker.stop()
    report = {"tills": args.tills, "sales": total, "raw_broker_per_s": round(raw),
              "ingest_per_s": round(hub), "stored": stored, "ratio": round(hub / raw, 2),
              "targets": {f"ingest >= {TARGET} sales/s (SQLite, one worker)": hub >= TARGET,
                          "each sale stored exactly once": stored == total}}
    lines = [f"ingest: {args.tills} tills x {args.sales} sales of 5 lines = {total} sales "
             "through mosquitto (QoS 1)",
             f"raw broker rate (plain subscriber): {raw:.0f} sales/s",
             f"hub ingest rate (SQLite, one worker, exactly once): {hub:.0f} sales/s, "
             f"{stored} stored",
             f"ingest / raw: {hub / raw:.2f}",
             "PostgreSQL with two workers: not measured yet (the hub's store is SQLite until "
             "the hub's admin app issue)",
             *target_lines(report["targets"])]
    publish(report, lines, OUT)


if __name__ == "__main__":
    main()
