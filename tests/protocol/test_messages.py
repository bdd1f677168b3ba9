"""The protocol's envelopes and schemas: round trips, clear refusals, fuzzing."""
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.protocol import (
    MAX_MESSAGE_BYTES,
    Envelope,
    HubState,
    ProtocolError,
    decode,
    decode_state,
    encode,
    encode_state,
    hub_topic,
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


def ack(**body):
    return Envelope(kind="ack", store="store-1", till="T01", seq=9, id="a-1",
                    at="2026-11-25T10:01:00+00:00", body={"seqs": [7, 9], "dead": [9], **body})


def test_an_ack_round_trips_on_the_tills_hub_topic():
    assert decode(encode(ack())) == ack()
    assert hub_topic("store-1", "T01", "ack") == "tilly/v1/hub/store-1/T01/ack"
    with pytest.raises(ValueError):
        parse_topic("tilly/v1/hub/store-1/T01/ack")  # not a till's topic: no ingest of it


@pytest.mark.parametrize("body, message", [
    ({"seqs": []}, "at least one seq"),
    ({"seqs": [0]}, r"body.seqs\[0\]"),
    ({"seqs": [7, "9"]}, r"body.seqs\[1\]"),
    ({"dead": [8]}, "body.dead"),
    ({"dead": None}, "body.dead: expected list"),
])
def test_wrong_acks_are_refused_with_the_field(body, message):
    data = json.dumps({"v": 1, **ack().__dict__, "body": {**ack().body, **body}}).encode()
    with pytest.raises(ProtocolError, match=message):
        decode(data)


def test_the_hub_state_round_trips_and_is_checked():
    state = HubState(online=True, worker="w1", at="2026-11-25T10:01:00+00:00")
    assert decode_state(encode_state(state)) == state
    for raw, message in (({"online": 1}, "online: expected bool"), ({"v": 2}, "version 1"),
                         ({"worker": None}, "worker"), ({"online": None}, "online")):
        with pytest.raises(ProtocolError, match=message):
            decode_state(json.dumps({**state.__dict__, **raw}).encode())
    with pytest.raises(ProtocolError, match="missing at"):
        decode_state(b'{"v": 1, "online": false, "worker": "w1"}')


def test_no_store_may_be_called_hub():
    # Its tills would log in as hub/<till> and could write the hub's topics to others.
    for make in (till_topic, hub_topic):
        with pytest.raises(ValueError, match="hub"):
            make("hub", "T01", "sale.completed" if make is till_topic else "ack")
    with pytest.raises(ValueError, match="hub"):
        parse_topic("tilly/v1/hub/T01/sale")
