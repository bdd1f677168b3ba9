"""The catalog push end to end, through a real Mosquitto with the project's configuration:
the hub's catalog server, in-process tills on real SQLite journals and data dirs."""
import contextlib
import json
import os
import subprocess
import sys
import time

import pytest

from edge import catalog_sync
from hub.catalog_push import CatalogServer
from hub.catalog_versions import CatalogVersion, publish, unpublished
from hub.models import TillPresence
from shared import catalog_delta
from shared.protocol.catalog import delta_topic, messages, reply_topic
from tests.broker import ROOT
from tests.edge.browser import TillServer
from tests.edge.conftest import MILK, PINS, WINE, Api, ean13
from tests.edge.test_publisher import Hub
from tests.waiting import wait_for

from .conftest import new_store, store
from .test_versions import SAMPLE, hub_command

AT = "2026-12-03T08:00:00+00:00"


@contextlib.contextmanager
def till_process(store_file, tmp_path, port, till):
    """``python -m edge`` with the hub link on."""
    config = tmp_path / f"{till}.toml"
    config.write_text(f'[hub]\nhost = "127.0.0.1"\nport = {port}\npassword = "till-secret"\n')
    with TillServer(store_file, tmp_path / till, ["--config", str(config), "--id", till]) as server:
        yield server


def running(app):
    return app.extensions["till"].catalog.version


def open_sale(app, codes):
    """A cashier at the till with a sale in progress of ``codes``."""
    api = Api(app.test_client())
    api.post("/api/auth/sign-in", {"pin": PINS["S01"]})
    api.post("/api/session/open", {"float": 0})
    for code in codes:
        api.post("/api/sale/scan", {"code": code})
    return api


def audits(app, action):
    from edge.models import Audit

    with app.extensions["till"].lock:
        return [row.detail for row in Audit.select().where(Audit.action == action)]


def replies(spy, till, kind):
    """The parts of ``kind`` the hub sent to ``till`` alone."""
    return [envelope for topic, envelope in spy.wait(kind, 10**6, timeout=0.5)
            if topic == reply_topic("test", till)]


def test_a_price_change_reaches_every_online_till_within_2_s(hub_db, catalog_server, broker,
                                                            store_file, tmp_path):
    """Three till processes with a sale in progress each; the time is from the hub's commit
    of the new version to the last till's report that it runs it."""
    publish(hub_db, "test", store())
    spy = Hub(broker)
    with contextlib.ExitStack() as stack:
        servers = [stack.enter_context(till_process(store_file, tmp_path, broker.port, till))
                   for till in ("T01", "T02", "T03")]
        spy.wait("catalog.applied", 3)
        sales = [server.session() for server in servers]
        for sale in sales:
            sale.call("POST", "/api/auth/sign-in", {"pin": PINS["S01"]})
            sale.call("POST", "/api/session/open", {"float": 0})
            for _ in range(3):
                sale.call("POST", "/api/sale/scan", {"code": MILK})
        assert {sale.call("GET", "/api/sale")[1]["sale"]["total"] for sale in sales} == {250}

        changed = new_store(MILK=120)
        changed["pricing"]["promotions"][0]["price"] = 200  # 3 for 2.00, not 2.50
        started = time.monotonic()
        assert publish(hub_db, "test", changed) == 2
        reports = spy.wait("catalog.applied", 6, timeout=10)[3:]
        took = time.monotonic() - started
        print(f"price change applied by 3 tills and reported in {took * 1000:.0f} ms")
        assert sorted((topic, envelope.body["version"]) for topic, envelope in reports) == [
            (f"tilly/v1/test/{till}/catalog", 2) for till in ("T01", "T02", "T03")]
        assert took < 2.0
        for sale in sales:
            # The sale in progress keeps its lines (priced as scanned), re-priced by the
            # new engine: the new promotion applies. A new scan gets the new price.
            view = sale.call("GET", "/api/sale")[1]["sale"]
            assert ([line["unit_price"] for line in view["lines"]], view["total"]) == \
                ([100], 200)
            sale.call("POST", "/api/sale/scan", {"code": WINE})
            sale.call("POST", "/api/sale/tender", {"type": "card"})
            sale.call("POST", "/api/sale/scan", {"code": MILK})
            assert sale.call("GET", "/api/sale")[1]["sale"]["total"] == 120
    spy.close()
    wait_for(lambda: [p.catalog for p in TillPresence.select()] == ["2"] * 3)


def test_a_till_offline_for_31_versions_catches_up_with_one_delta(hub_db, catalog_server,
                                                                   tills, broker):
    publish(hub_db, "test", store())
    app = tills.start("T01")
    wait_for(lambda: running(app) == "1")
    tills.stop(app)
    for price in range(101, 132):
        publish(hub_db, "test", new_store(MILK=price))
    latest = CatalogVersion.get(version=32)
    # All broadcast while it was away: one it heard on its way back would move it on
    # from 1, and the answer (from 1) would have it ask again from there.
    wait_for(lambda: unpublished() == [])
    spy = Hub(broker)
    try:
        app = tills.start("T01")
        assert running(app) == "1"  # it starts on what it had
        wait_for(lambda: running(app) == "32")
        assert app.extensions["till"].catalog.products["MILK"].unit_price == 131
        assert app.extensions["catalog_sync"].digest == latest.digest
        (_, birth), = spy.wait("birth", 1)
        assert birth.body["catalog"] == "1"  # what it ran when it connected
        assert app.extensions["till"].link.catalog_version == "32"  # its next birth says
        (delta,) = replies(spy, "T01", "catalog.delta")
        assert (delta.body["base"], delta.body["version"]) == (1, 32)
        assert replies(spy, "T01", "catalog.snapshot") == []
    finally:
        spy.close()


def test_a_till_with_no_catalog_gets_the_snapshot(hub_db, catalog_server, tills, broker):
    for price in (100, 110, 120):
        publish(hub_db, "test", new_store(MILK=price))
    wait_for(lambda: unpublished() == [])  # the till asks for all three, none heard on the way
    spy = Hub(broker)
    try:
        app = tills.start("T02")
        wait_for(lambda: running(app) == "3")
        (snapshot,) = replies(spy, "T02", "catalog.snapshot")
        assert snapshot.body["version"] == 3
        (_, request), = spy.wait("catalog.request", 1)
        assert request.body == {"have": None, "digest": None, "snapshot": False}
    finally:
        spy.close()


def big_store(count):
    data = store()
    data["products"] += [
        {"sku": f"BIG{number:05d}", "name": f"Product \"{number}\" of a long range",
         "barcodes": [ean13(f"4{number:011d}")], "unit_price": 100 + number,
         "tax_class": "standard", "tags": ["big", "range"], "department": "Everything"}
        for number in range(count)]
    return data


def test_a_snapshot_over_256_kib_is_split_and_reassembled(hub_db, catalog_server, tills,
                                                         broker):
    publish(hub_db, "test", big_store(2500))
    assert len(CatalogVersion.get().snapshot) > 256 * 1024
    spy = Hub(broker)
    try:
        app = tills.start("T01")
        wait_for(lambda: running(app) == "1")
        parts = replies(spy, "T01", "catalog.snapshot")
        numbers = sorted(part.body["part"] for part in parts)
        assert len(numbers) >= 2 and numbers == list(range(1, parts[0].body["parts"] + 1))
        assert len(app.extensions["till"].catalog.products) == 2504
    finally:
        spy.close()


def forged(kind, text, version, digest, base=None, till="*"):
    """What only a broken or hostile hub would send: a delta or snapshot of our making."""
    topic = delta_topic("test") if till == "*" else reply_topic("test", till)
    return topic, messages(kind, "test", till, version, digest, text, AT, base)


def broken_store():
    data = new_store(MILK=1)
    data["products"][0]["tax_class"] = "luxury"
    return data


def bad_delta():
    return forged("catalog.delta", "{\"remove\": {\"products\": [\"NOPE\"]}}", 2, "0" * 32,
                  base=1)


def wrong_base():
    new = catalog_delta.normal(new_store(MILK=1))
    delta = catalog_delta.diff(catalog_delta.normal(store()), new)
    return forged("catalog.delta", json.dumps(delta), 6, catalog_delta.digest(new), base=5)


def unloadable_snapshot():
    snapshot = catalog_delta.normal(broken_store())
    return forged("catalog.snapshot", json.dumps(snapshot), 2, catalog_delta.digest(snapshot),
                  till="T01")


def unloadable_delta_result():
    result = catalog_delta.normal(broken_store())
    delta = catalog_delta.diff(catalog_delta.normal(store()), result)
    return forged("catalog.delta", json.dumps(delta), 2, catalog_delta.digest(result), base=1)


def half_a_snapshot():
    topic, parts = forged("catalog.snapshot", json.dumps(big_store(2500)), 2, "0" * 32,
                          till="T01")
    return topic, parts[:1]


def not_json():
    return delta_topic("test"), [b"{not json"]


def wrong_envelope():
    """Part 3 of 2: refused by the till's schema check (which ``encode`` would refuse too)."""
    return delta_topic("test"), [json.dumps({
        "v": 1, "kind": "catalog.delta", "store": "test", "till": "*", "seq": 2, "id": "x",
        "at": AT, "body": {"version": 2, "base": 1, "digest": "d", "part": 3, "parts": 2,
                           "chunk": ""}}).encode()]


@pytest.mark.parametrize("sent, refused", [
    (bad_delta, True), (wrong_base, False), (unloadable_snapshot, True),
    (unloadable_delta_result, True), (half_a_snapshot, False), (not_json, True),
    (wrong_envelope, True)], ids=lambda value: getattr(value, "__name__", ""))
def test_a_bad_version_never_half_applies(hub_db, catalog_server, tills, broker, sent,
                                          refused):
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    publish(hub_db, "test", store())
    app = tills.start("T01")
    wait_for(lambda: running(app) == "1")
    till, sync = app.extensions["till"], app.extensions["catalog_sync"]
    api = open_sale(app, [WINE])
    before = (till.catalog, sync.path.read_bytes(), api.get("/api/sale")["sale"]["total"])
    spy = Hub(broker)
    forger = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    forger.username_pw_set("hub", "hub-secret")
    forger.connect("127.0.0.1", broker.port)
    forger.loop_start()
    try:
        topic, payloads = sent()
        for payload in payloads:
            forger.publish(topic, payload, qos=1).wait_for_publish(5)
        if refused:
            wait_for(lambda: audits(app, "catalog.refused"))
        else:
            time.sleep(1)
            assert audits(app, "catalog.refused") == []
        if sent is wrong_base:  # it asks to catch up, and the hub has nothing newer
            (_, request), = spy.wait("catalog.request", 1)
            assert request.body == {"have": 1, "digest": sync.digest, "snapshot": False}
        assert (till.catalog, sync.path.read_bytes(),
                api.get("/api/sale")["sale"]["total"]) == before
        assert sync.version == 1 and audits(app, "catalog.applied") == [{"version": 1,
                                                                         "was": None}]
        api.post("/api/sale/scan", {"code": MILK})  # and it sells on
    finally:
        forger.loop_stop()
        spy.close()


def test_a_restarted_till_comes_up_on_the_last_version_applied(hub_db, catalog_server,
                                                               tills):
    publish(hub_db, "test", store())
    publish(hub_db, "test", new_store(MILK=155))
    app = tills.start("T01")
    wait_for(lambda: running(app) == "2")
    tills.stop(app)
    offline = tills.start("T01", hub=False)  # no hub at all: the kept version, not the file
    assert running(offline) == "2"
    assert offline.extensions["till"].catalog.products["MILK"].unit_price == 155
    assert open_sale(offline, [MILK]).get("/api/sale")["sale"]["total"] == 155


def test_the_sample_store_through_the_hub_commands(tmp_path, broker, tills):
    """The demo's store: published and served by ``python -m hub catalog``, its own process,
    to a till that first booted on the same store file."""
    db = tmp_path / "hub.sqlite3"
    assert hub_command("publish", "--db", db, "--store", "store-1", "--file",
                       SAMPLE).returncode == 0
    server = subprocess.Popen(
        [sys.executable, "-m", "hub", "catalog", "serve", "--db", str(db), "--port",
         str(broker.port)], cwd=ROOT, env={**os.environ, "TILLY_HUB_PASSWORD": "hub-secret"},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        app = tills.start("T01", path=SAMPLE)
        wait_for(lambda: running(app) == "1")
        changed = json.loads(SAMPLE.read_text())
        product = changed["products"][0]
        product["unit_price"] += 10
        (tmp_path / "changed.json").write_text(json.dumps(changed))
        assert hub_command("publish", "--db", db, "--store", "store-1", "--file",
                           tmp_path / "changed.json").stdout == "store-1: version 2\n"
        wait_for(lambda: running(app) == "2")
        catalog = app.extensions["till"].catalog
        assert catalog.products[product["sku"]].unit_price == product["unit_price"]
        assert len(catalog.products) == len(changed["products"])
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_versions_made_while_the_catalog_server_is_down_are_sent_when_it_is_back(
        hub_db, broker, tills):
    def server():
        started = CatalogServer(hub_db, {"port": broker.port, "password": "hub-secret"})
        started.start()
        return started

    first = server()
    publish(hub_db, "test", store())
    app = tills.start("T01")
    wait_for(lambda: running(app) == "1")
    first.stop()
    publish(hub_db, "test", new_store(MILK=110))
    publish(hub_db, "test", new_store(MILK=120))
    time.sleep(0.5)
    assert running(app) == "1"
    second = server()
    try:
        wait_for(lambda: running(app) == "3")
        assert CatalogVersion.select().where(CatalogVersion.published_at.is_null()).count() == 0
    finally:
        second.stop()


def test_a_version_that_cannot_price_the_sale_in_progress_waits_for_it(
        hub_db, catalog_server, tills, monkeypatch):
    """Version 2 drops the tax class of the wine in the basket: the till sells on with
    version 1 until that sale is done, then runs version 2."""
    monkeypatch.setattr(catalog_sync, "RETRY_S", 0.2)
    publish(hub_db, "test", store())
    app = tills.start("T01")
    wait_for(lambda: running(app) == "1")
    api = open_sale(app, [WINE])
    no_wine = store()
    no_wine["products"] = [p for p in no_wine["products"] if p["tax_class"] != "standard"]
    del no_wine["pricing"]["tax_classes"]["standard"]
    assert publish(hub_db, "test", no_wine) == 2
    wait_for(lambda: audits(app, "catalog.waiting"))
    time.sleep(0.5)  # tried again meanwhile, and waiting still
    assert running(app) == "1" and len(audits(app, "catalog.waiting")) == 1
    assert api.get("/api/sale")["sale"]["total"] == 959
    api.post("/api/sale/tender", {"type": "card"})
    wait_for(lambda: running(app) == "2")
    assert "WINE" not in app.extensions["till"].catalog.products


def test_a_bad_request_is_a_dead_letter_and_the_server_answers_on(hub_db, catalog_server,
                                                                   tills, broker):
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    from hub.models import DeadLetter

    publish(hub_db, "test", store())
    broken_till = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    broken_till.username_pw_set("test/T01", "till-secret")
    broken_till.connect("127.0.0.1", broker.port)
    broken_till.loop_start()
    try:
        broken_till.publish("tilly/v1/test/T01/catalog", b"{\"v\": 1}",
                            qos=1).wait_for_publish(5)
        wait_for(lambda: DeadLetter.select().count() == 1)
        assert "missing" in DeadLetter.get().error
    finally:
        broken_till.disconnect()
        broken_till.loop_stop()
    app = tills.start("T01")
    wait_for(lambda: running(app) == "1")


def test_a_till_reads_only_its_own_answers(hub_db, catalog_server, tills, broker):
    """The ACL: test/T02 cannot read what the hub answers test/T01."""
    import queue

    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    got = queue.Queue()
    other = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    other.username_pw_set("test/T02", "till-secret")
    other.on_message = lambda client, userdata, message: got.put(message.topic)
    other.on_subscribe = lambda *args: got.put("subscribed")
    other.connect("127.0.0.1", broker.port)
    other.loop_start()
    try:
        other.subscribe([(reply_topic("test", "T01"), 1), (delta_topic("test"), 1)])
        assert got.get(timeout=5) == "subscribed"
        publish(hub_db, "test", store())
        wait_for(lambda: list(got.queue) == [delta_topic("test")])  # the store's: yes
        app = tills.start("T01")
        wait_for(lambda: running(app) == "1")
        time.sleep(0.3)
        assert list(got.queue) == [delta_topic("test")]  # T01's answer: no
    finally:
        other.disconnect()
        other.loop_stop()
