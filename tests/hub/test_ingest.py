"""The hub's ingest: each sale once however often it arrives, bad messages kept as dead
letters while ingestion goes on, presence from births and deaths; through a real broker."""
import json
import time

import pytest

from edge.app import create_app
from edge.config import merge
from hub.ingest import Ingest, apply
from hub.models import DeadLetter, Sale, TillPresence, ZReport, open_database
from shared.protocol import Envelope, encode
from tests.conftest import USERS
from tests.edge.conftest import PINS, WINE, Api
from tests.mqtt_clients import AckReader, client, hub_online, hub_state
from tests.protocol.test_messages import SALE
from tests.waiting import wait_for

TOPIC = "tilly/v1/store-1/T01/sale"


def sale_message(uuid="u-1", seq=7, **body):
    return encode(Envelope(kind="sale.completed", store="store-1", till="T01", seq=seq,
                           id=uuid, at="2026-11-25T10:01:00+00:00",
                           body={**SALE, "uuid": uuid, "seq": seq, **body}))


def presence_message(kind, bd_seq):
    body = {"bd_seq": bd_seq}
    if kind == "birth":
        body.update(software="0.1.0", catalog="abc", backlog=3)
    return encode(Envelope(kind=kind, store="store-1", till="T01", seq=bd_seq,
                           id=str(bd_seq), at="2026-11-25T10:00:00+00:00", body=body))


def test_a_sale_is_applied_once_however_often_it_arrives(hub_db):
    outcomes = [apply(hub_db, TOPIC, sale_message()) for _ in range(5)]
    assert outcomes == ["applied"] + ["duplicate"] * 4
    assert Sale.select().count() == 1
    assert TillPresence.get().last_sale_seq == 7


@pytest.mark.parametrize("topic, payload, reason", [
    (TOPIC, b"not json", "not JSON"),
    (TOPIC, b"x" * 300_000, "bytes"),
    (TOPIC, json.dumps({"v": 1, "kind": "sale.completed", "store": "store-1", "till": "T01",
                        "seq": 7, "id": "u-1", "at": "-", "body": {**SALE, "kind": "gift"}})
     .encode(), "body.kind"),
    ("tilly/v1/store-1/T02/sale", sale_message(), "topic"),
    ("tilly/v1/store-1/T01/what", sale_message(), "unknown till topic"),
])
def test_bad_messages_become_dead_letters_and_ingestion_goes_on(hub_db, topic, payload,
                                                                reason):
    assert apply(hub_db, topic, payload) == "dead"
    assert reason in DeadLetter.get().error
    assert apply(hub_db, TOPIC, sale_message()) == "applied"


def test_a_reused_sale_number_is_a_dead_letter(hub_db):
    apply(hub_db, TOPIC, sale_message("u-1", 7))
    assert apply(hub_db, TOPIC, sale_message("u-2", 7)) == "dead"
    assert Sale.select().count() == 1


def test_a_late_will_does_not_mark_a_connected_till_offline(hub_db):
    topic = "tilly/v1/store-1/T01/"
    apply(hub_db, topic + "birth", presence_message("birth", 4))
    assert apply(hub_db, topic + "death", presence_message("death", 3)) == "stale"
    assert TillPresence.get().online is True
    assert apply(hub_db, topic + "birth", presence_message("birth", 2)) == "stale"
    assert apply(hub_db, topic + "death", presence_message("death", 4)) == "applied"
    presence = TillPresence.get()
    assert (presence.online, presence.software, presence.backlog) == (False, "0.1.0", 3)



def test_a_number_no_column_holds_is_a_dead_letter(hub_db):
    huge = {**SALE["result"], "total": 2**70}
    assert apply(hub_db, TOPIC, sale_message("u-1", 7, result=huge)) == "dead"
    assert apply(hub_db, TOPIC, sale_message("u-2", 8)) == "applied"
    assert [sale.uuid for sale in Sale.select()] == ["u-2"]


def test_the_hub_store_is_a_sqlite_path_or_url_or_postgresql(tmp_path):
    open_database(f"sqlite:///{tmp_path}/hub.sqlite3")
    assert (tmp_path / "hub.sqlite3").exists()
    with pytest.raises(ValueError, match="postgresql://"):
        open_database("mysql://hub@127.0.0.1/hub")


def start_ingest(hub_db, broker, worker="1"):
    """An ingest worker in this process, its subscriptions in place once the hub's state
    says online (the worker publishes it after subscribing)."""
    ingest = Ingest(hub_db, {"port": broker.port, "password": USERS["hub"]}, worker)
    ingest.start()
    wait_for(lambda: hub_online(broker))
    return ingest


def test_sales_from_a_till_reach_the_hub_once(hub_db, till_config, broker):
    ingest = start_ingest(hub_db, broker)
    app = create_app(merge(till_config, {"hub": {"host": "127.0.0.1", "port": broker.port,
                                                 "password": "till-secret"}}))
    till = app.extensions["till"]
    try:
        api = Api(app.test_client())
        api.post("/api/auth/sign-in", {"pin": PINS["S01"]})
        api.post("/api/session/open", {"float": 0})
        uuids = []
        for _ in range(3):
            api.post("/api/sale/scan", {"code": WINE})
            uuids.append(api.post("/api/sale/tender", {"type": "card"})["sale"]["uuid"])
        api.post("/api/session/close", {"counted": {}})
        # The same sale again, five times, straight from a client with the till's login.
        raw = client(broker, "test/T01")
        wait_for(lambda: Sale.select().count() == 3)
        first = Sale.get_by_id(uuids[0])
        message = encode(Envelope(kind="sale.completed", store="test", till="T01", seq=1,
                                  id=first.uuid, at="2026-11-25T10:00:00+00:00",
                                  body=first.body))
        for _ in range(5):
            raw.publish("tilly/v1/test/T01/sale", message, qos=1).wait_for_publish(5)
        raw.loop_stop()
        wait_for(lambda: ZReport.select().count() == 1)
        wait_for(lambda: TillPresence.select().where(TillPresence.online).count() == 1)
        wait_for(lambda: till.journal.outbox_backlog() == 0)  # the hub confirmed them all
        time.sleep(0.5)
        assert sorted(sale.uuid for sale in Sale.select()) == sorted(uuids)
        assert Sale.get_by_id(uuids[1]).total == 959
        assert DeadLetter.select().count() == 0  # duplicates are not errors
    finally:
        till.link.stop()
        till.devices.close()
        ingest.stop()


def test_each_till_gets_an_ack_of_what_the_hub_handled(hub_db, broker):
    readers = {till: AckReader(broker, "store-1", till) for till in ("T01", "T02")}
    ingest = start_ingest(hub_db, broker)
    raw = {till: client(broker, f"store-1/{till}") for till in ("T01", "T02")}
    broken = json.dumps({"v": 1, "kind": "sale.completed", "store": "store-1", "till": "T01",
                         "seq": 3, "id": "u-3", "at": "-", "body": {}}).encode()
    try:
        for payload in (sale_message("u-1", 1), sale_message("u-2", 2), broken,
                        sale_message("u-1", 1)):
            raw["T01"].publish(TOPIC, payload, qos=1).wait_for_publish(5)
        t02 = encode(Envelope(kind="sale.completed", store="store-1", till="T02", seq=5,
                              id="u-5", at="-", body={**SALE, "uuid": "u-5", "till": "T02"}))
        raw["T02"].publish("tilly/v1/store-1/T02/sale", t02, qos=1).wait_for_publish(5)
        wait_for(lambda: readers["T01"].seqs() == ({1, 2, 3}, {3}))
        wait_for(lambda: readers["T02"].seqs() == ({5}, set()))
        assert Sale.select().count() == 3 and DeadLetter.select().count() == 1
    finally:
        ingest.stop()
        for connection in (*raw.values(), *(reader.client for reader in readers.values())):
            connection.loop_stop()


def test_the_hub_state_is_online_while_any_worker_runs(tmp_path, broker):
    hub_db = open_database(tmp_path / "hub.sqlite3")
    assert hub_state(broker) is None
    first = start_ingest(hub_db, broker, "w1")
    second = start_ingest(hub_db, broker, "w2")
    first.stop()  # its Will says offline; the other worker says online again
    time.sleep(0.5)
    state = hub_state(broker)
    assert (state.online, state.worker) == (True, "w2")
    second.stop()
    wait_for(lambda: not hub_state(broker).online)
    assert hub_state(broker).worker == "w2"


def count_applied(worker, shares):
    """Counts in ``shares[worker name]`` the messages the worker applies."""
    apply_and_ack = worker._apply

    def counted(batch, connection):
        shares[worker.worker] = shares.get(worker.worker, 0) + len(batch)
        apply_and_ack(batch, connection)
    worker._apply = counted


def test_two_workers_share_the_load_and_each_sale_lands_once(hub_db, broker):
    workers = [start_ingest(hub_db, broker, name) for name in ("w1", "w2")]
    shares = {}
    for worker in workers:
        count_applied(worker, shares)
    raw = {till: client(broker, f"store-1/{till}") for till in ("T01", "T02")}
    try:
        for seq in range(1, 301):
            for till in ("T01", "T02"):
                uuid = f"{till}-{seq}"
                message = encode(Envelope(
                    kind="sale.completed", store="store-1", till=till, seq=seq, id=uuid,
                    at="-", body={**SALE, "uuid": uuid, "till": till, "seq": seq}))
                for _ in range(1 + (seq % 3 == 0)):  # every third sale twice
                    raw[till].publish(f"tilly/v1/store-1/{till}/sale", message, qos=1)
        wait_for(lambda: Sale.select().count() == 600, timeout=60)
        time.sleep(0.5)
        assert Sale.select().count() == 600 and DeadLetter.select().count() == 0
        assert sum(shares.values()) == 800 and min(shares.values()) >= 100, shares
        presence = {row.till: row.last_sale_seq for row in TillPresence.select()}
        assert presence == {"T01": 300, "T02": 300}
    finally:
        for worker in workers:
            worker.stop()
        for connection in raw.values():
            connection.loop_stop()
