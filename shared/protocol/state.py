"""The hub's online state (after Sparkplug's STATE): one retained message on
``tilly/v1/hub/state``, ``{"v": 1, "online": true, "worker": "w1", "at": "..."}``.

An ingest worker publishes it (retained) when it connects, and leaves its MQTT Will to
publish ``"online": false`` if it vanishes. A till that sees the hub come online sends
its unconfirmed outbox again at once, instead of waiting for its confirm timeout.
"""
import json
from dataclasses import dataclass

from .messages import BOOL, STR, VERSION, ProtocolError, _check, check_version, load


@dataclass(frozen=True)
class HubState:
    online: bool
    worker: str  # the ingest worker that said it
    at: str
    v: int = VERSION


def encode_state(state):
    """A checked hub state as UTF-8 JSON bytes."""
    return json.dumps(validate_state(state).__dict__, separators=(",", ":")).encode()


def decode_state(data):
    """Bytes from ``tilly/v1/hub/state`` as a checked HubState; ProtocolError otherwise."""
    raw = load(data)
    missing = [name for name in ("v", "online", "worker", "at") if name not in raw]
    if missing:
        raise ProtocolError(f"hub state: missing {', '.join(missing)}")
    return validate_state(HubState(online=raw["online"], worker=raw["worker"], at=raw["at"],
                                   v=raw["v"]))


def validate_state(state):
    check_version(state.v)
    _check(state.online, (BOOL,), "online")
    _check(state.worker, (STR,), "worker")
    _check(state.at, (STR,), "at")
    return state
