"""Voucher and store credit messages: their topics, and clear refusals of bad bodies."""
import pytest

from shared.protocol import (
    Envelope,
    ProtocolError,
    decode,
    encode,
    hub_topic,
    parse_topic,
    till_topic,
)

REQUEST = {"request": "r-1", "tender": "voucher", "account": "ABCD-EFGH-JKMN-PQRS",
           "amount": 500, "sale": "s-1"}
REPLY = {"request": "r-1", "ok": False, "amount": 500, "balance": 200,
         "reason": "insufficient", "error": "not enough on the voucher: 2.00 left"}


def message(kind, body):
    return Envelope(kind=kind, store="store-1", till="T01", seq=1, id="r-1", at="-", body=body)


def test_tender_messages_round_trip_on_their_topics():
    for kind, body in (("tender.request", REQUEST), ("tender.reply", REPLY),
                       ("tender.release", {**REQUEST, "reason": "timeout"})):
        assert decode(encode(message(kind, body))).body == body
    assert till_topic("store-1", "T01", "tender.request") == "tilly/v1/store-1/T01/tender"
    assert till_topic("store-1", "T01", "tender.release") == "tilly/v1/store-1/T01/release"
    assert hub_topic("store-1", "T01", "tender.reply") == "tilly/v1/hub/store-1/T01/tender"
    assert parse_topic("tilly/v1/store-1/T01/release").kind == "tender.release"


@pytest.mark.parametrize("kind, changes, error", [
    ("tender.request", {"tender": "gift"}, "body.tender: one of voucher, store_credit, points"),
    ("tender.request", {"amount": 0}, "body.amount: an integer from 1"),
    ("tender.request", {"amount": 1.5}, "body.amount: expected int"),
    ("tender.request", {"account": ""}, "body.account: 1 to 64"),
    ("tender.request", {"request": "x" * 65}, "body.request: 1 to 64"),
    ("tender.release", {}, "body.reason: expected str"),
    ("tender.reply", {**REPLY, "ok": "yes"}, "body.ok: expected bool"),
])
def test_bad_tender_bodies_are_refused_with_the_field(kind, changes, error):
    body = {**(REPLY if kind == "tender.reply" else REQUEST), **changes}
    with pytest.raises(ProtocolError, match=error):
        encode(message(kind, body))
