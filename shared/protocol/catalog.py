"""Catalog messages: the hub's numbered versions pushed to tills, and what tills ask and
report (docs/protocol.md, "Catalog push").

A delta (``catalog.delta``, from version ``base`` to ``version``) or a whole snapshot
(``catalog.snapshot``) is JSON text, sent in numbered parts that each fit in one message;
the ``Assembler`` gives it back only once every part has arrived.
"""
import json
from collections import OrderedDict

from .messages import (
    BOOL,
    INT,
    MAX_MESSAGE_BYTES,
    NONE,
    SCHEMAS,
    STR,
    Envelope,
    ProtocolError,
    _fields,
    encode,
)
from .topics import ROOT, _name

# Room left in a message for the envelope around a part's text.
CHUNK_BYTES = MAX_MESSAGE_BYTES - 4096
MAX_PARTS = 10_000
# The topics' "till" for what goes to every till of a store.
EVERY_TILL = "*"

PART = {"version": (INT,), "digest": (STR,), "part": (INT,), "parts": (INT,), "chunk": (STR,)}
REQUEST = {"have": (INT, NONE), "digest": (STR, NONE), "snapshot": (BOOL,)}
APPLIED = {"version": (INT,), "digest": (STR,)}


def _part(body, delta):
    _fields(body, {**PART, "base": (INT,)} if delta else PART, "body")
    if not 1 <= body["part"] <= body["parts"] <= MAX_PARTS:
        raise ProtocolError(f"body.part: {body['part']} of {body['parts']} is not a part "
                            f"number from 1 to {MAX_PARTS}")
    if body["version"] < 1 or delta and not 1 <= body["base"] < body["version"]:
        raise ProtocolError("body.version: versions start at 1, a delta's base is below it")


def _request(body):
    _fields(body, REQUEST, "body")
    missing = [name for name in REQUEST if name not in body]  # null is a value here
    if missing:
        raise ProtocolError(f"body.{missing[0]}: missing")
    if (body["have"] is None) != (body["digest"] is None):
        raise ProtocolError("body.digest: given with have, and only then")


SCHEMAS.update({
    "catalog.delta": lambda body: _part(body, delta=True),
    "catalog.snapshot": lambda body: _part(body, delta=False),
    "catalog.request": _request,
    "catalog.applied": lambda body: _fields(body, APPLIED, "body"),
})


def delta_topic(store):
    """Each new version of a store's catalog, for all its tills."""
    return f"{ROOT}/hub/{_name(store, 'store')}/catalog/delta"


def reply_topic(store, till):
    """The hub's answer to one till's catalog.request."""
    return f"{ROOT}/hub/{_name(store, 'store')}/{_name(till, 'till')}/catalog"


def till_catalog_topic(store, till):
    """A till's catalog.request and catalog.applied."""
    return f"{ROOT}/{_name(store, 'store')}/{_name(till, 'till')}/catalog"


def parse_till_topic(topic):
    """(store, till) of a till's catalog topic; ValueError for any other topic."""
    parts = topic.split("/") if isinstance(topic, str) else []
    if len(parts) != 5 or "/".join(parts[:2]) != ROOT or parts[4] != "catalog":
        raise ValueError(f"not a till's catalog topic: {topic!r}")
    return _name(parts[2], "store"), _name(parts[3], "till")


def _chunks(text):
    """``text`` in slices whose JSON string form fits CHUNK_BYTES."""
    start = 0
    while start < len(text):
        size = min(len(text) - start, CHUNK_BYTES)
        while True:
            encoded = len(json.dumps(text[start:start + size], ensure_ascii=False).encode())
            if encoded <= CHUNK_BYTES:
                break
            size = max(1, size * CHUNK_BYTES // encoded - 1)
        yield text[start:start + size]
        start += size


def messages(kind, store, till, version, digest, text, at, base=None):
    """A delta or snapshot (JSON ``text``) as the encoded messages of its parts."""
    chunks = list(_chunks(text)) or [""]
    if len(chunks) > MAX_PARTS:
        raise ProtocolError(f"{kind}: {len(chunks)} parts, at most {MAX_PARTS}")
    head = {"version": version, "digest": digest, "parts": len(chunks)}
    if kind == "catalog.delta":
        head["base"] = base
    return [encode(Envelope(kind=kind, store=store, till=till, seq=version,
                            id=f"{store}-{base or 0}-{version}", at=at,
                            body={**head, "part": number, "chunk": chunk}))
            for number, chunk in enumerate(chunks, 1)]


class Assembler:
    """Parts of deltas and snapshots, kept until each is whole. Only the ``keep`` most
    recently begun are kept: an abandoned one (its sender gone) goes in time."""

    def __init__(self, keep=4):
        self.keep = keep
        self.pending = OrderedDict()

    def add(self, envelope):
        """The whole JSON text once ``envelope`` completes its delta or snapshot, else
        None. Parts may come in any order and more than once."""
        body = envelope.body
        key = (envelope.kind, body.get("base"), body["version"], body["digest"], body["parts"])
        chunks = self.pending.setdefault(key, {})
        chunks[body["part"]] = body["chunk"]
        if len(chunks) < body["parts"]:
            while len(self.pending) > self.keep:
                self.pending.popitem(last=False)
            return None
        del self.pending[key]
        return "".join(chunks[number] for number in range(1, body["parts"] + 1))
