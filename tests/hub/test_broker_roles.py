"""The broker's roles (hub/dynsec.py, hub/broker/acl) on a real mosquitto: a till reads
only what is meant for it or its store, the hub never reads enrollment requests, and an
enrollment login sees only its own reply."""
import queue
import time

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from hub.dynsec import ADMIN, ENROLL, till_role_name


class Client:
    """A logged-in MQTT v5 client that keeps what it receives."""

    def __init__(self, broker, user, client_id=""):
        self.received = queue.Queue()
        self.answers = queue.Queue()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id,
                                  protocol=mqtt.MQTTv5)
        self.client.username_pw_set(user, broker.users[user])
        self.client.on_connect = lambda c, u, f, reason, p: self.answers.put(reason)
        self.client.on_subscribe = lambda c, u, mid, reasons, p: self.answers.put(reasons[0])
        self.client.on_message = lambda c, u, message: self.received.put(
            (message.topic, message.payload))
        self.client.connect("127.0.0.1", broker.port)
        self.client.loop_start()
        assert not self.answers.get(timeout=5).is_failure

    def subscribe(self, topic):
        """True if the broker granted the subscription."""
        self.client.subscribe(topic, qos=1)
        return not self.answers.get(timeout=5).is_failure

    def publish(self, topic, payload=b"{}"):
        """True if the broker accepted the message (PUBACK without an error)."""
        info = self.client.publish(topic, payload, qos=1)
        info.wait_for_publish(5)
        return info.rc == mqtt.MQTT_ERR_SUCCESS

    def topics(self, wait=0.5):
        time.sleep(wait)
        found = []
        while not self.received.empty():
            found.append(self.received.get()[0])
        return sorted(found)

    def next_payload(self, timeout=10):
        return self.received.get(timeout=timeout)[1]

    def close(self):
        self.client.disconnect()
        self.client.loop_stop()


def test_a_till_reads_only_its_own_messages_and_its_own_store_catalog(broker):
    hub, till = Client(broker, "hub"), Client(broker, "store-1/T01")
    try:
        for topic in ("tilly/v1/hub/store-1/T01/#", "tilly/v1/hub/store-1/catalog/#",
                      "tilly/v1/hub/state"):
            assert till.subscribe(topic), topic
        for topic in ("tilly/v1/hub/store-2/catalog/#", "tilly/v1/hub/store-1/T02/#",
                      "tilly/v1/hub/#", "tilly/v1/store-1/T02/sale", "#"):
            assert not till.subscribe(topic), topic
        for topic in ("tilly/v1/hub/store-1/T01/ack", "tilly/v1/hub/store-1/T02/ack",
                      "tilly/v1/hub/store-1/catalog/v7", "tilly/v1/hub/store-2/catalog/v7",
                      "tilly/v1/hub/state"):
            hub.publish(topic)
        assert till.topics() == ["tilly/v1/hub/state", "tilly/v1/hub/store-1/T01/ack",
                                 "tilly/v1/hub/store-1/catalog/v7"]
        # A till does not speak for the hub.
        assert till.subscribe("tilly/v1/hub/store-1/catalog/#")
        till.publish("tilly/v1/hub/store-1/catalog/forged")
        assert till.topics() == []
    finally:
        hub.close()
        till.close()


def test_enrollment_logins_see_only_their_own_exchange(broker):
    hub, admin = Client(broker, "hub"), Client(broker, ADMIN)
    mine = Client(broker, ENROLL, client_id="enroll-mine")
    other = Client(broker, ENROLL, client_id="enroll-other")
    try:
        assert hub.subscribe("tilly/v1/#")
        assert admin.subscribe("tilly/v1/enroll/+/request")
        assert mine.subscribe("tilly/v1/enroll/+/reply")  # granted, but filtered below
        assert other.subscribe("tilly/v1/enroll/enroll-other/reply")
        mine.publish("tilly/v1/enroll/enroll-mine/request")
        mine.publish("tilly/v1/enroll/enroll-other/request")  # as someone else: dropped
        mine.publish("tilly/v1/store-1/T01/sale")
        assert admin.topics() == ["tilly/v1/enroll/enroll-mine/request"]
        assert hub.topics(wait=0) == []  # requests carry passwords: not the hub's to read
        # The hub's own login cannot answer in the enrollment service's name.
        hub.publish("tilly/v1/enroll/enroll-other/reply")
        admin.publish("tilly/v1/enroll/enroll-mine/reply")
        assert mine.topics() == ["tilly/v1/enroll/enroll-mine/reply"]
        assert other.topics(wait=0) == []
    finally:
        for client in (hub, admin, mine, other):
            client.close()


def test_no_two_tills_share_a_role():
    # Names may hold "-": store "a-b" till "c" is not store "a" till "b-c".
    assert till_role_name("a-b", "c") != till_role_name("a", "b-c")
