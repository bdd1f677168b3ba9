"""The MQTT protocol between tills and the hub: topics, message envelopes and their schemas.

Documented in ``docs/protocol.md``. Both sides validate every message with this package,
so a till and a hub of different releases agree on what each version means.
"""
from . import catalog  # noqa: F401 (registers the catalog message kinds)
from .messages import MAX_MESSAGE_BYTES, OUTBOX_KINDS, Envelope, ProtocolError, decode, encode
from .state import HubState, decode_state, encode_state
from .topics import HUB_STATE, Topic, hub_topic, parse_topic, till_topic

PROTOCOL_VERSION = 1

__all__ = ["HUB_STATE", "MAX_MESSAGE_BYTES", "OUTBOX_KINDS", "PROTOCOL_VERSION", "Envelope",
           "HubState", "ProtocolError", "Topic", "decode", "decode_state", "encode",
           "encode_state", "hub_topic", "parse_topic", "till_topic"]
