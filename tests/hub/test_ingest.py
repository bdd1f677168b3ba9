"""The hub's ingest: each sale once however often it arrives, bad messages kept as dead
letters while ingestion goes on, presence from births and deaths; through a real broker."""
import json
import time

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from edge.app import create_app
from edge.config import merge
from hub.ingest import Ingest, apply
from hub.models import DeadLetter, Sale, TillPresence, ZReport, open_database
from shared.protocol import Envelope, encode
from tests.conftest import USERS
from tests.edge.conftest import PINS, WINE, Api
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


@pytest.fixture
def hub_db(tmp_path):
    return open_database(tmp_path / "hub.sqlite3")


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



def test_sales_from_a_till_reach_the_hub_once(tmp_path, till_config, broker):
    hub_db = open_database(tmp_path / "hub.sqlite3")
    ingest = Ingest(hub_db, {"port": broker.port, "password": USERS["hub"]})
    ingest.start()
    app = create_app(merge(till_config, {"hub": {"host": "127.0.0.1", "port": broker.port,
                                                 "password": "till-secret"}}))
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
        raw = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
        raw.username_pw_set("test/T01", USERS["test/T01"])
        raw.connect("127.0.0.1", broker.port)
        raw.loop_start()
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
        time.sleep(0.5)
        assert sorted(sale.uuid for sale in Sale.select()) == sorted(uuids)
        assert Sale.get_by_id(uuids[1]).total == 959
        assert DeadLetter.select().count() == 0  # duplicates are not errors
    finally:
        app.extensions["till"].link.stop()
        app.extensions["till"].devices.close()
        ingest.stop()
