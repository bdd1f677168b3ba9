"""The till's outbox reaches a real Mosquitto: QoS 1, marked sent on PUBACK, nothing lost
while the broker is down, nothing acknowledged sent twice, strangers refused."""
import contextlib
import queue
import time

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from edge.app import create_app
from edge.config import merge
from edge.models import Outbox
from edge.publisher import Publisher
from hub.ingest import Ack, ack_message
from shared.protocol import HUB_STATE, HubState, decode, encode_state, hub_topic
from tests.conftest import USERS
from tests.waiting import wait_for

from .conftest import MILK, PINS, WINE, Api


class Hub:
    """A client of the broker keeping every message it receives (the hub's view)."""

    def __init__(self, broker, user="hub"):
        self.messages = queue.Queue()
        self.seen = []  # (topic, payload bytes)
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
        self.client.username_pw_set(user, USERS.get(user))
        self.client.on_message = lambda c, u, message: self.messages.put(
            (message.topic, message.payload))
        subscribed = queue.Queue()
        self.client.on_subscribe = lambda *args: subscribed.put(True)
        self.client.connect("127.0.0.1", broker.port)
        self.client.loop_start()
        # What tills publish, and what the hub sends one till (acks, catalog answers); not
        # the hub's state, which is no envelope.
        self.client.subscribe([("tilly/v1/+/+/+", 1), ("tilly/v1/hub/+/+/+", 1)])
        subscribed.get(timeout=5)

    def wait(self, kind, count, timeout=15):
        """The first ``count`` decoded messages of ``kind``, waiting up to ``timeout``."""
        deadline = time.monotonic() + timeout
        while True:
            found = [(topic, envelope) for topic, envelope in self.decoded()
                     if envelope.kind == kind]
            if len(found) >= count or time.monotonic() > deadline:
                return found[:count] if len(found) >= count else found
            try:
                self.seen.append(self.messages.get(timeout=0.2))
            except queue.Empty:
                pass

    def decoded(self):
        return [(topic, decode(payload)) for topic, payload in self.seen]

    def topics(self):
        while not self.messages.empty():
            self.seen.append(self.messages.get())
        return [topic for topic, _ in self.seen]

    def close(self):
        self.client.loop_stop()


def sell(api, codes):
    for code in codes:
        api.post("/api/sale/scan", {"code": code})
    return api.post("/api/sale/tender", {"type": "card"})["sale"]


def publisher(app, broker, **settings):
    till = app.extensions["till"]
    return Publisher(till.journal, "store-1", "T01",
                     {"host": "127.0.0.1", "port": broker.port, "password": "till-secret",
                      **settings}, till.catalog.version)



def test_sales_are_published_and_marked_sent_on_puback(app, cashier, broker):
    hub = Hub(broker)
    sold = [sell(cashier, [MILK]), sell(cashier, [WINE])]
    link = publisher(app, broker)
    link.start()
    try:
        messages = hub.wait("sale.completed", 2)
        assert [envelope.id for _, envelope in messages] == [sale["uuid"] for sale in sold]
        assert {topic for topic, _ in messages} == {"tilly/v1/store-1/T01/sale"}
        assert [envelope.seq for _, envelope in messages] == [1, 2]
        wait_for(lambda: Outbox.select().where(Outbox.sent_at.is_null()).count() == 0)
        (_, birth), = hub.wait("birth", 1)
        assert (birth.body["backlog"], birth.body["bd_seq"]) == (2, link.bd_seq)
    finally:
        link.stop()
    # A restarted till sends again what the hub has not confirmed (no hub ran here), on a
    # connection with a new birth/death sequence.
    again = publisher(app, broker)
    again.start()
    try:
        births = hub.wait("birth", 2)
        assert births[1][1].body["backlog"] == 2
        assert births[1][1].body["bd_seq"] > births[0][1].body["bd_seq"]
        assert len(hub.wait("sale.completed", 4)) == 4
    finally:
        again.stop()
        hub.close()


def test_a_connected_till_reports_its_backlog_as_it_changes(app, cashier, broker):
    """No hub confirms here, so the backlog grows; each status says it, after the birth."""
    hub = Hub(broker)
    link = publisher(app, broker, status_interval_s=0.3)
    link.start()
    try:
        wait_for(link.connected.is_set)
        sell(cashier, [MILK])
        sell(cashier, [WINE])
        link.notify()
        wait_for(lambda: any(envelope.body["backlog"] == 2
                             for _, envelope in hub.wait("status", 1, timeout=0.5)))
        _, status = hub.wait("status", 1)[0]
        assert status.body["bd_seq"] == link.bd_seq
        assert status.body["catalog"] == app.extensions["till"].catalog.version
        assert {topic for topic, _ in hub.wait("status", 1)} == {"tilly/v1/store-1/T01/status"}
    finally:
        link.stop()
        hub.close()


def hub_ack(hub, seqs, dead=(), store="store-1", till="T01", topic=None):
    """What the hub's ingest publishes after its commit (hub.ingest.ack_message)."""
    payload = ack_message(store, till, Ack(set(seqs), set(dead)))
    hub.client.publish(topic or hub_topic(store, till, "ack"), payload,
                       qos=1).wait_for_publish(5)


def test_rows_the_hub_confirms_are_never_sent_again(app, cashier, broker):
    sell(cashier, [MILK])
    sell(cashier, [WINE])
    with linked(app, broker) as (hub, link):
        hub.wait("sale.completed", 2)
        hub_ack(hub, [1, 2], dead=[2])
        wait_for(lambda: link.journal.outbox_backlog() == 0)
    with linked(app, broker) as (hub, _):  # the till restarted
        (_, birth), = hub.wait("birth", 1)
        assert birth.body["backlog"] == 0
        assert hub.wait("sale.completed", 1, timeout=2) == []


@contextlib.contextmanager
def linked(app, broker, **settings):
    """The hub's view of the broker, then the till's link started; both closed after."""
    hub = Hub(broker)
    link = publisher(app, broker, **settings)
    link.start()
    try:
        yield hub, link
    finally:
        link.stop()
        hub.close()


def test_acks_that_are_not_this_tills_confirm_nothing(app, cashier, broker):
    sell(cashier, [MILK])
    with linked(app, broker) as (hub, link):
        hub.wait("sale.completed", 1)
        hub_ack(hub, [1], till="T02", topic=hub_topic("store-1", "T01", "ack"))
        hub.client.publish(hub_topic("store-1", "T01", "ack"), b"{}", qos=1).wait_for_publish(5)
        hub_ack(hub, [1], till="T02")
        time.sleep(1.0)
        assert link.journal.outbox_backlog() == 1


def test_unconfirmed_rows_go_again_after_the_confirm_timeout(app, cashier, broker):
    sold = sell(cashier, [MILK])
    with linked(app, broker, confirm_timeout_s=1) as (hub, _):
        messages = hub.wait("sale.completed", 3, timeout=10)
        assert [envelope.id for _, envelope in messages] == [sold["uuid"]] * 3
        assert len(hub.wait("birth", 2, timeout=0)) == 1  # on the same connection


def test_the_hub_coming_online_makes_the_till_send_again(app, cashier, broker):
    sell(cashier, [MILK])
    with linked(app, broker) as (hub, _):
        hub.wait("sale.completed", 1)
        time.sleep(0.2)  # the PUBACK marks it sent before the hub says it is back
        hub.client.publish(HUB_STATE, encode_state(HubState(True, "w1", "-")), qos=1,
                           retain=True).wait_for_publish(5)
        assert len(hub.wait("sale.completed", 2)) == 2


def test_nothing_is_lost_while_the_broker_is_down(app, cashier, broker):
    broker.stop()
    link = publisher(app, broker)
    link.start()  # cannot connect: backs off and retries
    sold = [sell(cashier, [MILK]), sell(cashier, [WINE]), sell(cashier, [MILK, WINE])]
    time.sleep(1.5)
    assert link.journal.outbox_backlog() == 3
    link.stop()  # and the till restarts while the broker is still down
    broker.start()
    hub = Hub(broker)
    again = publisher(app, broker)
    again.start()
    try:
        messages = hub.wait("sale.completed", 3)
        assert sorted(envelope.id for _, envelope in messages) == \
            sorted(sale["uuid"] for sale in sold)
        wait_for(lambda: Outbox.select().where(Outbox.sent_at.is_null()).count() == 0)
    finally:
        again.stop()
        hub.close()


def test_anonymous_clients_and_impostor_tills_are_refused(app, cashier, broker):
    refused = queue.Queue()
    anonymous = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    anonymous.on_connect = lambda c, u, f, reason, p: refused.put(reason)
    anonymous.connect("127.0.0.1", broker.port)
    anonymous.loop_start()
    assert refused.get(timeout=5).is_failure
    anonymous.loop_stop()

    hub = Hub(broker)
    impostor = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    impostor.username_pw_set("store-1/T02", USERS["store-1/T02"])
    impostor.connect("127.0.0.1", broker.port)
    impostor.loop_start()
    impostor.publish("tilly/v1/store-1/T01/sale", b"{}", qos=1).wait_for_publish(5)
    impostor.publish("tilly/v1/store-1/T02/sale", b"{}", qos=1).wait_for_publish(5)
    # It reads the hub's state and its own acks, not another till's, and says nothing as
    # the hub.
    received = queue.Queue()
    impostor.on_message = lambda c, u, message: received.put((message.topic,
                                                              message.payload))
    # Its own messages, another till's (refused by its role) and the hub's state.
    impostor.subscribe([("tilly/v1/hub/store-1/T02/#", 1), ("tilly/v1/hub/store-1/T01/#", 1),
                        (HUB_STATE, 1)])
    impostor.publish(HUB_STATE, b"{}", qos=1, retain=True).wait_for_publish(5)
    time.sleep(0.3)
    hub.client.publish(HUB_STATE, encode_state(HubState(True, "w1", "-")), qos=1, retain=True)
    for till in ("T01", "T02"):
        hub_ack(hub, [1], till=till)
    time.sleep(0.5)
    impostor.loop_stop()
    hub.close()
    topics = hub.topics()
    assert "tilly/v1/store-1/T02/sale" in topics  # its own topic: delivered
    assert "tilly/v1/store-1/T01/sale" not in topics  # another till's: refused
    assert {topic for topic, _ in received.queue} == {HUB_STATE, "tilly/v1/hub/store-1/T02/ack"}
    assert b"{}" not in {payload for _, payload in received.queue}


def test_the_till_publishes_as_it_sells(till_config, broker):
    hub = Hub(broker)
    app = create_app(merge(till_config, {"hub": {"host": "127.0.0.1", "port": broker.port,
                                                 "password": "till-secret"}}))
    try:
        api = Api(app.test_client())
        api.post("/api/auth/sign-in", {"pin": PINS["S01"]})
        api.post("/api/session/open", {"float": 0})
        sale = sell(api, [WINE])
        (topic, envelope), = hub.wait("sale.completed", 1)
        assert (topic, envelope.id, envelope.body["result"]["total"]) == \
            ("tilly/v1/test/T01/sale", sale["uuid"], 959)
        api.post("/api/session/close", {"counted": {}})
        (_, z), = hub.wait("session.closed", 1)
        assert z.body["z_number"] == 1
    finally:
        app.extensions["till"].link.stop()
        app.extensions["till"].devices.close()
        hub.close()


def test_the_till_publishes_over_tls_to_a_broker_it_trusts(app, cashier, broker):
    hub = Hub(broker)
    sold = sell(cashier, [WINE])
    link = publisher(app, broker, port=broker.tls_port, tls_ca=str(broker.certs / "ca.crt"))
    link.start()
    try:
        (_, envelope), = hub.wait("sale.completed", 1)
        assert envelope.id == sold["uuid"]
    finally:
        link.stop()
        hub.close()


def test_a_broker_the_till_does_not_trust_gets_nothing(app, cashier, broker, tmp_path):
    from hub.certs import make_certificates

    other = make_certificates(tmp_path / "other", ["127.0.0.1"])
    sell(cashier, [WINE])
    link = publisher(app, broker, port=broker.tls_port, tls_ca=str(other / "ca.crt"))
    link.start()
    try:
        time.sleep(2)
        assert not link.connected.is_set()
        assert link.journal.outbox_backlog() == 1
    finally:
        link.stop()
