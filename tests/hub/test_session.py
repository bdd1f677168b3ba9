"""The hub workers' paho client: packets decoded with paho's property tables built once
(hub/session.py) give what paho's own decoding gives."""
import paho.mqtt._packet
from paho.mqtt.enums import MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from hub.session import SharedTablesProperties


def publish_packet(topic, mid, payload, properties):
    """A PUBLISH at QoS 1 after its fixed header, as a broker sends it."""
    name = topic.encode()
    return (len(name).to_bytes(2, "big") + name + mid.to_bytes(2, "big")
            + properties.pack() + payload)


def test_paho_decodes_publish_properties_as_its_own_would():
    assert paho.mqtt._packet.Properties is SharedTablesProperties
    sent = Properties(PacketTypes.PUBLISH)
    sent.MessageExpiryInterval = 60
    sent.ContentType = "application/json"
    sent.UserProperty = [("till", "T01"), ("store", "store-1")]
    packet = publish_packet("tilly/v1/store-1/T01/sale", 7, b'{"a": 1}', sent)
    decoded = [paho.mqtt._packet.decode_publish(0x32, packet, MQTTProtocolVersion.MQTTv5)
               for _ in range(2)]
    own = Properties(PacketTypes.PUBLISH)
    own.unpack(packet[len(packet) - len(b'{"a": 1}') - len(sent.pack()):])
    for result in decoded:
        assert (result.topic, result.mid, result.payload) == (
            b"tilly/v1/store-1/T01/sale", 7, b'{"a": 1}')
        assert result.properties.json() == own.json() == sent.json()
    # Each packet's properties are its own; only the tables are shared.
    decoded[0].properties.ContentType = "text/plain"
    assert decoded[1].properties.ContentType == "application/json"
    assert SharedTablesProperties(PacketTypes.PUBLISH).isEmpty()


def test_a_packet_without_properties_decodes_to_none():
    packet = publish_packet("t", 1, b"x", Properties(PacketTypes.PUBLISH))
    result = paho.mqtt._packet.decode_publish(0x32, packet, MQTTProtocolVersion.MQTTv5)
    assert result.properties.isEmpty() and result.payload == b"x"
