"""MQTT clients the tests drive by hand against the real broker: a till's raw login, and
what a till sees of the hub (its acks, the hub's retained state)."""
import queue

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from shared.protocol import HUB_STATE, decode, decode_state, hub_topic
from tests.conftest import USERS


def client(broker, user):
    """Connected and looping, logged in as ``user`` of tests.conftest.USERS."""
    raw = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    raw.username_pw_set(user, USERS[user])
    raw.connect("127.0.0.1", broker.port)
    raw.loop_start()
    return raw


def hub_state(broker, user="store-1/T01"):
    """The hub's retained state as a till reads it (None if there is none)."""
    got = queue.Queue()
    reader = client(broker, user)
    reader.on_message = lambda c, u, message: got.put(message.payload)
    reader.subscribe(HUB_STATE, qos=1)
    try:
        return decode_state(got.get(timeout=1))
    except queue.Empty:
        return None
    finally:
        reader.loop_stop()
        reader.disconnect()


def hub_online(broker):
    """The hub's state says online: a worker has connected and subscribed."""
    state = hub_state(broker)
    return bool(state and state.online)


class AckReader:
    """A till's view of its ack topic: every ack the hub sent it, decoded."""

    def __init__(self, broker, store, till):
        self.acks = queue.Queue()
        self.client = client(broker, f"{store}/{till}")
        self.client.on_message = lambda c, u, message: self.acks.put(decode(message.payload))
        subscribed = queue.Queue()
        self.client.on_subscribe = lambda *args: subscribed.put(True)
        self.client.subscribe(hub_topic(store, till, "ack"), qos=1)
        subscribed.get(timeout=5)

    def seqs(self):
        """(every seq acked so far, those acked as dead letters)."""
        acks = list(self.acks.queue)
        return ({seq for ack in acks for seq in ack.body["seqs"]},
                {seq for ack in acks for seq in ack.body["dead"]})

    def close(self):
        self.client.loop_stop()
        self.client.disconnect()
