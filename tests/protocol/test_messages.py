"""The protocol's envelopes and schemas: round trips, clear refusals, fuzzing."""
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.protocol import (
    MAX_MESSAGE_BYTES,
    Envelope,
    ProtocolError,
    decode,
    encode,
    parse_topic,
    till_topic,
)

SALE = {"uuid": "u-1", "till": "T01", "seq": 7, "ref": "T01-000007", "kind": "sale",
        "cashier": "S01", "customer": None, "opened_at": "2026-11-25T10:00:00+00:00",
        "completed_at": "2026-11-25T10:01:00+00:00",
        "lines": [{"position": 1, "sku": "A", "qty": 2, "weight_g": None, "unit_price": 100,
                   "voided": False}],
        "payments": [{"type": "cash", "amount": 200}],
        "result": {"subtotal": 200, "total": 200, "tax_total": 0, "taxes": [], "lines": []},
        "rounding": 0, "change": 0}


def envelope(**changes):
    fields = {"kind": "sale.completed", "store": "store-1", "till": "T01", "seq": 1,
              "id": "u-1", "at": "2026-11-25T10:01:00+00:00", "body": SALE, **changes}
    return Envelope(**fields)


def test_round_trip():
    message = envelope()
    assert decode(encode(message)) == message


@pytest.mark.parametrize("changes, message", [
    ({"kind": "sale.voided"}, "unknown message kind"),
    ({"seq": 0}, "seq"),
    ({"seq": 2**63}, "seq"),
    ({"seq": True}, "seq"),
    ({"v": 2}, "version 1"),
    ({"body": {**SALE, "kind": "gift"}}, "body.kind"),
    ({"body": {**SALE, "lines": [{**SALE["lines"][0], "qty": "2"}]}}, r"body.lines\[0\].qty"),
    ({"body": {**SALE, "result": {}}}, "body.result.subtotal"),
    ({"kind": ["sale"]}, "kind: expected str"),
])
def test_wrong_messages_are_refused_with_the_field(changes, message):
    data = json.dumps({"v": 1, **envelope().__dict__, **changes}).encode()
    with pytest.raises(ProtocolError, match=message):
        decode(data)


def test_malformed_and_oversized_payloads():
    for data, message in ((b"\xff\xfe", "not JSON"), (b"[1]", "expected dict"),
                          (b'{"v": 1}', "missing"), (b" " * (MAX_MESSAGE_BYTES + 1), "bytes")):
        with pytest.raises(ProtocolError, match=message):
            decode(data)


json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=5),
                           lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=5), inner, max_size=4),
                           max_leaves=20)


@settings(max_examples=300)
@given(st.dictionaries(st.sampled_from(["v", "kind", "store", "till", "seq", "id", "at",
                                        "body"]), json_values))
def test_fuzz_only_protocol_errors(raw):
    try:
        decode(json.dumps(raw).encode())
    except ProtocolError:
        pass


def test_topics():
    topic = till_topic("store-1", "T01", "sale.completed")
    assert topic == "tilly/v1/store-1/T01/sale"
    assert parse_topic(topic).kind == "sale.completed"
    for bad in ("tilly/v1/store-1/T01/unknown", "tilly/v2/s/T01/sale", "tilly/v1/s/+/sale",
                None):
        with pytest.raises(ValueError):
            parse_topic(bad)
    with pytest.raises(ValueError, match="till"):
        till_topic("store-1", "T/01", "sale.completed")
