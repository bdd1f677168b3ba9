"""Benchmark of the link: sales from many tills through mosquitto into the hub, once each.

200 simulated tills (one MQTT connection and login each) publish 5-line sales at QoS 1
through a real mosquitto started with the project's configuration. Measured twice, each on
a broker of its own: one ingest worker on SQLite, and two workers sharing the subscription
on PostgreSQL (a scratch database, tests/postgres.py). Each time, the raw broker rate (as
many plain subscribers, sharing a subscription, discarding the same messages) and the hub's
sustained ingest rate (each sale applied exactly once).

    .venv/bin/python bench/ingest.py [--tills 200] [--sales 50]
"""
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import argparse  # noqa: E402
import contextlib  # noqa: E402
import os  # noqa: E402
import queue  # noqa: E402
import sqlite3  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402

import paho.mqtt.client as mqtt  # noqa: E402
import psycopg  # noqa: E402
from paho.mqtt.enums import CallbackAPIVersion  # noqa: E402

from bench.report import publish, target_lines  # noqa: E402
from hub.models import open_database  # noqa: E402
from shared.protocol import HUB_STATE, Envelope, decode_state, encode  # noqa: E402
from tests.broker import Broker  # noqa: E402
from tests.postgres import scratch_database  # noqa: E402

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


def raw_rate(broker, clients, messages, total, subscribers):
    """Plain subscribers that discard what they get, sharing one subscription as the
    ingest workers do: the broker's own rate."""
    received = queue.Queue()
    count = [0]
    lock = threading.Lock()

    def on_message(client, userdata, message):
        with lock:
            count[0] += 1
            if count[0] == total:
                received.put(time.perf_counter())
    readers = [connect(broker, "hub") for _ in range(subscribers)]
    for reader in readers:
        reader.on_message = on_message
        reader.subscribe("$share/raw/tilly/v1/bench/+/sale", qos=1)
    time.sleep(0.5)
    start = time.perf_counter()
    publish_all(clients, messages)
    end = received.get(timeout=300)
    for reader in readers:
        reader.loop_stop()
        reader.disconnect()
    return total / (end - start)


def sqlite_store(work):
    path = Path(work) / "hub.sqlite3"

    def count():
        with sqlite3.connect(path) as db:
            return db.execute("SELECT COUNT(*) FROM sale").fetchone()[0]
    return contextlib.nullcontext((str(path), count))


@contextlib.contextmanager
def postgres_store(work):
    with scratch_database("tilly_bench") as url, psycopg.connect(url, autocommit=True) as db:
        def count():
            return db.execute("SELECT COUNT(*) FROM sale").fetchone()[0]
        yield url, count


def ingest_rate(broker, clients, messages, total, url, count, workers):
    """The hub's ingest workers, each in its own process, as they run for real."""
    open_database(url).close()  # the tables, before the workers race to make them
    names = {f"w{n}" for n in range(1, workers + 1)}
    states, subscribed = queue.Queue(), threading.Event()
    reader = connect(broker, "hub")
    reader.on_subscribe = lambda *args: subscribed.set()
    reader.on_message = lambda client, userdata, message: states.put(
        decode_state(message.payload))
    reader.subscribe(HUB_STATE, qos=1)
    subscribed.wait(timeout=10)
    processes = [subprocess.Popen(
        [sys.executable, "-m", "hub", "ingest", "--db", url, "--port", str(broker.port),
         "--worker", name], cwd=ROOT, stdout=subprocess.DEVNULL,
        env={**os.environ, "TILLY_HUB_PASSWORD": PASSWORD}) for name in sorted(names)]
    # A worker says the hub is online once it has subscribed; a sale published before
    # that would reach no worker (the bench's tills, unlike a till, never send it again).
    while names:
        state = states.get(timeout=60)
        if state.online:
            names.discard(state.worker)
    reader.loop_stop()
    reader.disconnect()
    time.sleep(0.5)
    start = time.perf_counter()
    publish_all(clients, messages)
    stored, progress = 0, start
    while stored < total:
        time.sleep(0.02)
        if count() != stored:
            stored, progress = count(), time.perf_counter()
        elif time.perf_counter() - progress > 30:
            break  # some were lost: the report says so
    elapsed = time.perf_counter() - start
    time.sleep(0.5)
    stored = count()
    for process in processes:
        process.terminate()
        process.wait()
    return total / elapsed, stored


def apply_rate(messages, total):
    """The worker's applying alone, in this process: the same sales in batches of the
    worker's size on a fresh SQLite file, without the broker. The best of three."""
    # Imported only now: hub.session changes how paho decodes packets in this process,
    # and the raw broker rate is measured with paho as it comes.
    from hub.ingest import Ingest, apply_batch
    ordered = [message for round_ in zip(*messages.values(), strict=True)
               for message in round_]
    rates = []
    for _ in range(3):
        with tempfile.TemporaryDirectory() as work:
            database = open_database(Path(work) / "hub.sqlite3")
            database.connect()
            start = time.perf_counter()
            for at in range(0, len(ordered), Ingest.BATCH):
                apply_batch(database, [(topic, payload) for topic, payload
                                       in ordered[at:at + Ingest.BATCH]])
            rates.append(total / (time.perf_counter() - start))
            database.close()
    return max(rates), Ingest.BATCH


def run(tills, messages, total, store, workers):
    """One measurement on a broker of its own (no ingest session left from another)."""
    with tempfile.TemporaryDirectory() as work, store(work) as (url, count):
        users = {"hub": PASSWORD, **{f"bench/{till}": PASSWORD for till in tills}}
        broker = Broker(Path(work) / "broker", users).start()
        try:
            clients = {till: connect(broker, f"bench/{till}") for till in tills}
            raw = raw_rate(broker, clients, messages, total, workers)
            hub, stored = ingest_rate(broker, clients, messages, total, url, count, workers)
            for client in clients.values():
                client.loop_stop()
        finally:
            broker.stop()
    return {"raw_broker_per_s": round(raw), "ingest_per_s": round(hub), "stored": stored,
            "ratio": round(hub / raw, 2)}


RUNS = {"SQLite, one worker": (sqlite_store, 1),
        "PostgreSQL, two workers": (postgres_store, 2)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tills", type=int, default=200)
    parser.add_argument("--sales", type=int, default=50, help="sales per till")
    args = parser.parse_args()
    tills = [f"T{n:03d}" for n in range(1, args.tills + 1)]
    messages = {till: [(f"tilly/v1/bench/{till}/sale", sale(till, seq))
                       for seq in range(1, args.sales + 1)] for till in tills}
    total = args.tills * args.sales
    runs = {name: run(tills, messages, total, store, workers)
            for name, (store, workers) in RUNS.items()}
    sqlite = runs["SQLite, one worker"]
    applying, batch = apply_rate(messages, total)
    report = {"tills": args.tills, "sales": total, "runs": runs,
              "apply_alone_sqlite_per_s": round(applying),
              "targets": {f"ingest >= {TARGET} sales/s (SQLite, one worker)":
                          sqlite["ingest_per_s"] >= TARGET,
                          "each sale stored exactly once": all(
                              result["stored"] == total for result in runs.values())}}
    lines = [f"ingest: {args.tills} tills x {args.sales} sales of 5 lines = {total} sales "
             "through mosquitto (QoS 1), the hub acking each till after each commit"]
    for name, result in runs.items():
        lines += [f"{name}: raw broker rate (plain shared subscribers, as many): "
                  f"{result['raw_broker_per_s']} sales/s",
                  f"{name}: hub ingest rate (exactly once): {result['ingest_per_s']} sales/s, "
                  f"{result['stored']} stored",
                  f"{name}: ingest / raw: {result['ratio']:.2f}"]
    lines.append(f"SQLite, applying alone in this process (batches of {batch}, no broker): "
                 f"{applying:.0f} sales/s")
    publish(report, lines + target_lines(report["targets"]), OUT)


if __name__ == "__main__":
    main()
