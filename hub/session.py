"""A hub worker: a paho client on a persistent MQTT session, so the broker keeps what comes
for the worker for a week while it is down (across broker restarts too), and a thread of
the worker's own (``self.thread``, which runs until ``self.stopping`` is set)."""
import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.reasoncodes import ReasonCode

WEEK_S = 7 * 24 * 3600


class Worker:
    """Subclasses set ``client``, ``settings``, ``thread`` and ``stopping``."""

    def start(self):
        properties = mqtt.Properties(mqtt.PacketTypes.CONNECT)
        properties.SessionExpiryInterval = WEEK_S
        self.client.connect_async(self.settings.get("host", "127.0.0.1"),
                                  int(self.settings.get("port", 1883)), keepalive=30,
                                  clean_start=False, properties=properties)
        self.client.loop_start()
        self.thread.start()

    def stop(self):
        self.stopping.set()
        self.thread.join(timeout=10)
        # "Disconnect with Will Message" (MQTT v5): a worker with a Will (the ingest's says
        # the hub is offline) has the broker publish it.
        self.client.disconnect(reasoncode=ReasonCode(PacketTypes.DISCONNECT, identifier=4))
        self.client.loop_stop()
