"""A hub worker: a paho client on a persistent MQTT session, so the broker keeps what comes
for the worker for a week while it is down (across broker restarts too), and a thread of
the worker's own (``self.thread``, which runs until ``self.stopping`` is set)."""
import paho.mqtt._packet
import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

WEEK_S = 7 * 24 * 3600


class SharedTablesProperties(Properties):
    """paho's MQTT v5 properties of a packet, with paho's tables of property names and
    types built once. paho (2.2) builds them anew for every packet it decodes: a third of
    an ingest worker's time, receiving thousands of messages a second. Nothing changes
    the tables (properties go in the instance's own attributes), so all packets share one
    set."""

    _tables = None

    def __init__(self, packetType):
        tables = SharedTablesProperties._tables
        if tables is None:
            super().__init__(packetType)
            SharedTablesProperties._tables = (self.types, self.names, self.properties)
            return
        object.__setattr__(self, "packetType", packetType)
        for name, table in zip(("types", "names", "properties"), tables, strict=True):
            object.__setattr__(self, name, table)


# paho decodes incoming packets in this module; what it sends is built elsewhere.
paho.mqtt._packet.Properties = SharedTablesProperties


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
