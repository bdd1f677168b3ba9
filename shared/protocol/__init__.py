"""The MQTT protocol between tills and the hub: topics, message envelopes and their schemas.

Documented in ``docs/protocol.md``. Both sides validate every message with this package,
so a till and a hub of different releases agree on what each version means.
"""
from . import catalog  # noqa: F401 (registers the catalog message kinds)
from .messages import MAX_MESSAGE_BYTES, Envelope, ProtocolError, decode, encode
from .topics import Topic, parse_topic, till_topic

PROTOCOL_VERSION = 1

__all__ = ["MAX_MESSAGE_BYTES", "PROTOCOL_VERSION", "Envelope", "ProtocolError", "Topic",
           "decode", "encode", "parse_topic", "till_topic"]
