"""The hub's answers to the tills' voucher and store credit requests, while they wait.

Each ingest worker runs one (``hub/ingest.py``): the requests come on the shared
subscription ``$share/hub/tilly/v1/+/+/tender``, so the hub answers exactly while its state
says online, and they are handled at once on a thread of their own, not after the ingest's
batch. The store and till come from the topic, which the broker's ACL ties to the till's
login (a till writes only ``tilly/v1/<store>/<till>/#``), never from the body, so a till
cannot redeem in another's name. The answer goes to ``tilly/v1/hub/<store>/<till>/tender``;
only then is the request acknowledged to the broker, and one delivered again is answered
again the same way (``hub/tenders.py``). A request that cannot be read is kept as a dead
letter, and answered with the reason when its request id can be read.
"""
import logging
import queue
import threading

from peewee import DatabaseError

from shared.protocol import Envelope, ProtocolError, decode, encode, hub_topic, parse_topic
from shared.protocol.messages import load
from shared.times import iso, now

from . import tenders
from .models import DeadLetter

log = logging.getLogger(__name__)
SUBSCRIPTION = "$share/hub/tilly/v1/+/+/tender"
FILTER = "tilly/v1/+/+/tender"  # what paho matches the messages of SUBSCRIPTION against


class TenderServer:
    """Requests from paho's thread (``on_message``) answered on this one's thread.

    ``connection`` says the client's current connection: a message id of an earlier one
    must not acknowledge a new message (as in the ingest)."""

    def __init__(self, database, client, stopping, connection):
        self.database = database
        self.client = client
        self.stopping = stopping
        self.connection = connection
        self.queue = queue.Queue()
        self.thread = threading.Thread(target=self._work, name="tenders", daemon=True)
        self.thread.start()

    def on_message(self, client, userdata, message):
        self.queue.put((self.connection(), message))

    def _work(self):
        while not self.stopping.is_set():
            try:
                connection, message = self.queue.get(timeout=0.2)
            except queue.Empty:
                continue
            try:
                answer = self.answer(message.topic, message.payload)
            except Exception as exc:  # the worker answers on; the till times out, releases
                log.exception("could not answer a tender request on %s", message.topic)
                if isinstance(exc, DatabaseError) and not self.database.is_closed():
                    self.database.close()  # a new connection next time (a restarted server)
                answer = None
            if answer is not None:
                topic, payload = answer
                self.client.publish(topic, payload, qos=1)
            if connection == self.connection():
                self.client.ack(message.mid, message.qos)

    def answer(self, topic, payload):
        """(reply topic, reply bytes) for a request, or None when no till can be told."""
        try:
            where = parse_topic(topic)
        except ValueError as exc:
            self._dead(topic, payload, exc)
            return None
        try:
            envelope = decode(payload)
            if (envelope.kind, envelope.store, envelope.till) != (
                    "tender.request", where.store, where.till):
                raise ProtocolError(f"envelope says {envelope.store}/{envelope.till} "
                                    f"{envelope.kind}, topic {topic}")
            if envelope.id != envelope.body["request"]:
                raise ProtocolError("envelope id is not the body's request")
        except ProtocolError as exc:
            self._dead(topic, payload, exc)
            request = _request_id(payload)
            if request is None:
                return None
            body = tenders.reply(request, False, 0, reason="invalid",
                                 error=f"the hub could not read the request: {exc}")
            return self._reply(where, 1, body)
        body = tenders.redeem(self.database, where.store, where.till, envelope.body)
        log.info("tender request %s of %s/%s: %s", envelope.id, where.store, where.till,
                 "approved" if body["ok"] else body["reason"])
        return self._reply(where, envelope.seq, body)

    def _reply(self, where, seq, body):
        return hub_topic(where.store, where.till, "tender.reply"), encode(Envelope(
            kind="tender.reply", store=where.store, till=where.till, seq=seq,
            id=body["request"], at=iso(now()), body=body))

    def _dead(self, topic, payload, error):
        log.warning("dead letter on %s: %s", topic, error)
        text = bytes(payload).decode("utf-8", "replace").replace("\x00", "\ufffd")
        with self.database.atomic():
            DeadLetter.create(topic=str(topic), error=str(error), payload=text)


def _request_id(payload):
    """The request id of a message that failed its checks, if one can be read."""
    try:
        body = load(payload).get("body")
    except ProtocolError:
        return None
    request = body.get("request") if isinstance(body, dict) else None
    return request if isinstance(request, str) and 1 <= len(request) <= 64 else None
