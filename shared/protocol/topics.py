"""The topic tree: ``tilly/v1/<store>/<till>/<kind>`` for what a till publishes,
``tilly/v1/hub/<store>/<till>/<kind>`` for what the hub tells one till, and
``tilly/v1/hub/state`` for the hub's online state.

One level per identity, so the broker's ACL can give each till its own subtree
(``pattern write tilly/v1/+/%u/#``) and the hub one shared subscription per kind.
"""
import re
from dataclasses import dataclass

ROOT = "tilly/v1"
# What a till publishes: a message kind (the outbox's) and the last topic level.
TILL_KINDS = {"sale.completed": "sale", "session.closed": "session", "birth": "birth",
              "death": "death", "status": "status",
              # A voucher or store credit asked of the hub while the customer waits, and
              # the release of one the till no longer wants (through its outbox).
              "tender.request": "tender", "tender.release": "release"}
# What the hub publishes to one till.
HUB_KINDS = {"ack": "ack", "tender.reply": "tender"}
HUB = f"{ROOT}/hub"
HUB_STATE = f"{HUB}/state"
# tilly/v1/hub/... and tilly/v1/enroll/... are the hub's: the tills of a store so named
# would write where tills read their acks and catalogs, or enrollments travel.
RESERVED_STORES = ("hub", "enroll")
_NAME = re.compile(r"[A-Za-z0-9_-]{1,32}")


@dataclass(frozen=True)
class Topic:
    store: str
    till: str
    kind: str  # a key of TILL_KINDS


def _name(value, what):
    if not isinstance(value, str) or not _NAME.fullmatch(value):
        raise ValueError(f"{what} {value!r}: 1-32 characters A-Z a-z 0-9 _ -")
    if what == "store" and value in RESERVED_STORES:
        raise ValueError(f"store {value!r}: a reserved name (the topic tree's, for the hub)")
    return value


def check_store(store):
    """``store`` if it may name a store (in a topic, a catalog, an enrollment)."""
    return _name(store, "store")


def till_topic(store, till, kind):
    """The topic a till publishes a message of ``kind`` on."""
    if kind not in TILL_KINDS:
        raise ValueError(f"no topic for message kind {kind!r}")
    return f"{ROOT}/{_name(store, 'store')}/{_name(till, 'till')}/{TILL_KINDS[kind]}"


def hub_topic(store, till, kind):
    """The topic the hub publishes a message of ``kind`` for one till on."""
    if kind not in HUB_KINDS:
        raise ValueError(f"no hub topic for message kind {kind!r}")
    return f"{HUB}/{_name(store, 'store')}/{_name(till, 'till')}/{HUB_KINDS[kind]}"


def parse_topic(topic):
    """A till topic's parts; ValueError for any other topic."""
    parts = topic.split("/") if isinstance(topic, str) else []
    if len(parts) != 5 or "/".join(parts[:2]) != ROOT:
        raise ValueError(f"not a till topic: {topic!r}")
    kinds = {level: kind for kind, level in TILL_KINDS.items()}
    if parts[4] not in kinds:
        raise ValueError(f"unknown till topic level {parts[4]!r}")
    return Topic(_name(parts[2], "store"), _name(parts[3], "till"), kinds[parts[4]])
