"""Message envelopes and the schema of each message kind, version 1.

Every message is one JSON object: the envelope (``v``, ``kind``, ``store``, ``till``,
``seq``: the till's 64-bit message sequence, ``id``: what the message is about, e.g. the
sale's UUID, ``at``) around a ``body`` whose schema the kind names. ``decode`` checks it
all and raises ``ProtocolError`` with the field at fault, so a bad message is refused with
a reason, never half-read.
"""
import json
from dataclasses import dataclass

VERSION = 1
MAX_MESSAGE_BYTES = 256 * 1024
MAX_SEQ = 2**63 - 1
INT, STR, BOOL, LIST, DICT, NONE = int, str, bool, list, dict, type(None)


class ProtocolError(ValueError):
    """A message that does not follow the protocol; the text says which field and why."""


@dataclass(frozen=True)
class Envelope:
    kind: str
    store: str
    till: str
    seq: int
    id: str
    at: str
    body: dict
    v: int = VERSION


def _check(value, types, where):
    # bool is an int in Python; a JSON true is never a number here.
    if isinstance(value, bool) and BOOL not in types or not isinstance(value, types):
        names = "/".join("null" if t is NONE else t.__name__ for t in types)
        raise ProtocolError(f"{where}: expected {names}, got {type(value).__name__}")
    return value


def _fields(obj, spec, where):
    _check(obj, (DICT,), where)
    for name, types in spec.items():
        _check(obj.get(name), types, f"{where}.{name}")


# Body schemas, version 1: field -> accepted JSON types. Unknown fields are allowed (a
# newer till may add some); missing or mistyped ones are not.
SALE = {"uuid": (STR,), "till": (STR,), "seq": (INT,), "ref": (STR,), "kind": (STR,),
        "cashier": (STR,), "customer": (STR, NONE), "opened_at": (STR,),
        "completed_at": (STR,), "lines": (LIST,), "payments": (LIST,), "result": (DICT,),
        "rounding": (INT,), "change": (INT,),
        # What the hub needs to re-price the sale as the till did (absent from older tills).
        "catalog": (STR, NONE), "coupons": (LIST, NONE), "manual_discount": (DICT, NONE)}
SALE_LINE = {"position": (INT,), "sku": (STR,), "qty": (INT, NONE), "weight_g": (INT, NONE),
             "unit_price": (INT,), "price_override": (INT, NONE), "barcode": (STR, NONE),
             "voided": (BOOL,)}
PAYMENT = {"type": (STR,), "amount": (INT,)}
RESULT = {"subtotal": (INT,), "total": (INT,), "tax_total": (INT,), "taxes": (LIST,),
          "lines": (LIST,)}
SESSION = {"till": (STR,), "session": (INT,), "z_number": (INT,), "expected_cash": (INT,),
           "counted_total": (INT,), "over_short": (INT,), "counted": (DICT,)}
BIRTH = {"bd_seq": (INT,), "software": (STR,), "catalog": (STR, NONE), "backlog": (INT,)}
DEATH = {"bd_seq": (INT,)}
# Every minute or so while connected: what a birth says that can change.
STATUS = {"bd_seq": (INT,), "catalog": (STR, NONE), "backlog": (INT,)}
# From the hub to one till: the outbox seqs it has handled (applied, duplicates, and those
# kept as dead letters, listed again in "dead"), so the till stops sending them.
ACK = {"seqs": (LIST,), "dead": (LIST,)}
# Vouchers and store credit, checked online (docs/protocol.md, "Vouchers and store
# credit"). A request asks the hub to take ``amount`` off an account while the customer
# waits: a voucher's code, or the customer's id for store credit. The hub answers it once
# per ``request`` (a UUID), however often it arrives.
TENDERS = ("voucher", "store_credit", "points")  # points: the customer's loyalty points
TENDER_REQUEST = {"request": (STR,), "tender": (STR,), "account": (STR,), "amount": (INT,),
                  "sale": (STR,)}
# ok: the amount was taken; else ``error`` says why (``reason``: unknown, void, expired,
# insufficient, released, invalid), and ``balance`` what is left when it is known.
TENDER_REPLY = {"request": (STR,), "ok": (BOOL,), "amount": (INT,), "balance": (INT, NONE),
                "reason": (STR, NONE), "error": (STR, NONE)}
# Through the till's outbox: the till does not want what it asked for (a timeout, a void,
# a restart mid-request). Taken back once if it was taken; refused later if not yet seen.
TENDER_RELEASE = {"request": (STR,), "tender": (STR,), "account": (STR,), "amount": (INT,),
                  "sale": (STR,), "reason": (STR,)}
MAX_ACCOUNT = 64
# What a till keeps in its outbox, and sends again, until an ack names its seq.
OUTBOX_KINDS = ("sale.completed", "session.closed", "tender.release")


def check_seq(value, where):
    if not (isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_SEQ):
        raise ProtocolError(f"{where}: an integer from 1 to 2^63-1, not {value!r}")
    return value


def _sale(body):
    _fields(body, SALE, "body")
    if body["kind"] not in ("sale", "refund"):
        raise ProtocolError(f"body.kind: sale or refund, not {body['kind']!r}")
    for number, line in enumerate(body["lines"]):
        _fields(line, SALE_LINE, f"body.lines[{number}]")
    for number, payment in enumerate(body["payments"]):
        _fields(payment, PAYMENT, f"body.payments[{number}]")
    _fields(body["result"], RESULT, "body.result")


def _ack(body):
    _fields(body, ACK, "body")
    if not body["seqs"]:
        raise ProtocolError("body.seqs: an ack names at least one seq")
    for name in ("seqs", "dead"):
        for number, seq in enumerate(body[name]):
            check_seq(seq, f"body.{name}[{number}]")
    if not set(body["dead"]) <= set(body["seqs"]):
        raise ProtocolError("body.dead: only seqs that body.seqs names")


def _tender(spec, body):
    _fields(body, spec, "body")
    if "tender" in spec and body["tender"] not in TENDERS:
        raise ProtocolError(f"body.tender: one of {', '.join(TENDERS)}, not "
                            f"{body['tender']!r}")
    if "account" in spec and not 1 <= len(body["account"]) <= MAX_ACCOUNT:
        raise ProtocolError(f"body.account: 1 to {MAX_ACCOUNT} characters")
    if not 1 <= len(body["request"]) <= 64:
        raise ProtocolError("body.request: 1 to 64 characters")
    low = 0 if spec is TENDER_REPLY else 1
    if not low <= body["amount"] <= MAX_SEQ:
        raise ProtocolError(f"body.amount: an integer from {low} to 2^63-1 minor units")


SCHEMAS = {"sale.completed": _sale,
           "session.closed": lambda body: _fields(body, SESSION, "body"),
           "birth": lambda body: _fields(body, BIRTH, "body"),
           "death": lambda body: _fields(body, DEATH, "body"),
           "status": lambda body: _fields(body, STATUS, "body"),
           "ack": _ack,
           "tender.request": lambda body: _tender(TENDER_REQUEST, body),
           "tender.reply": lambda body: _tender(TENDER_REPLY, body),
           "tender.release": lambda body: _tender(TENDER_RELEASE, body)}


def check_version(v):
    if type(v) is not int or v != VERSION:
        raise ProtocolError(f"v: this side speaks version {VERSION}, not {v!r}")


def validate(envelope):
    """Check an envelope and its body; ProtocolError on the first fault."""
    check_version(envelope.v)
    for name in ("kind", "store", "till", "id", "at"):
        _check(getattr(envelope, name), (STR,), name)
    if envelope.kind not in SCHEMAS:
        raise ProtocolError(f"kind: unknown message kind {envelope.kind!r}")
    check_seq(envelope.seq, "seq")
    SCHEMAS[envelope.kind](envelope.body)
    return envelope


def encode(envelope):
    """A checked envelope as UTF-8 JSON bytes."""
    validate(envelope)
    data = json.dumps({"v": envelope.v, "kind": envelope.kind, "store": envelope.store,
                       "till": envelope.till, "seq": envelope.seq, "id": envelope.id,
                       "at": envelope.at, "body": envelope.body},
                      separators=(",", ":"), ensure_ascii=False).encode()
    if len(data) > MAX_MESSAGE_BYTES:
        raise ProtocolError(f"message of {len(data)} bytes: at most {MAX_MESSAGE_BYTES}")
    return data


def load(data):
    """Bytes from the broker as a JSON object, at most MAX_MESSAGE_BYTES; else ProtocolError."""
    if not isinstance(data, bytes | bytearray):
        raise ProtocolError("payload: expected bytes")
    if len(data) > MAX_MESSAGE_BYTES:
        raise ProtocolError(f"message of {len(data)} bytes: at most {MAX_MESSAGE_BYTES}")
    try:
        raw = json.loads(data)
    except (UnicodeDecodeError, ValueError) as exc:
        raise ProtocolError(f"not JSON: {exc}") from None
    return _check(raw, (DICT,), "message")


def decode(data):
    """Bytes from the broker as a checked Envelope; ProtocolError for anything else."""
    raw = load(data)
    missing = [name for name in ("v", "kind", "store", "till", "seq", "id", "at", "body")
               if name not in raw]
    if missing:
        raise ProtocolError(f"message: missing {', '.join(missing)}")
    return validate(Envelope(kind=raw["kind"], store=raw["store"], till=raw["till"],
                             seq=raw["seq"], id=raw["id"], at=raw["at"], body=raw["body"],
                             v=raw["v"]))
