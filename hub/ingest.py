"""The hub's MQTT ingest: every sale a till completed, applied once.

It reads through persistent MQTT v5 subscriptions (see SUBSCRIPTIONS). Each message is
applied in one transaction, before paho acknowledges it: a worker killed mid-message
leaves the broker to deliver it again, and the inbox (the sale's UUID as primary key)
makes the second delivery a no-op. A message that fails validation is kept as a dead
letter with the reason, and ingestion goes on.
"""
import logging
import queue
import threading
import time

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from peewee import IntegrityError

from shared.protocol import ProtocolError, decode, parse_topic
from shared.times import now

from .models import DeadLetter, Sale, TillPresence, ZReport
from .session import Worker

log = logging.getLogger(__name__)

# Plain subscriptions on a persistent session, not yet $share/hub/...: mosquitto 2.0.11
# does not restore a persistent session's shared subscriptions after a broker restart, and
# sales published before the worker re-subscribes would be lost (tests/hub/test_faults.py
# ::test_the_broker_stopped_mid_stream_then_restarted). Shared subscriptions come back with
# the hub's end-to-end acknowledgement to the till (docs/protocol.md).
SUBSCRIPTIONS = ("tilly/v1/+/+/sale", "tilly/v1/+/+/session", "tilly/v1/+/+/birth",
                 "tilly/v1/+/+/death")


def apply(database, topic, payload):
    """Apply one message; returns what it did ("applied", "duplicate", "stale", "dead")."""
    return apply_batch(database, [(topic, payload)])[0]


def apply_batch(database, messages):
    """Apply (topic, payload) messages in one transaction: one commit, one fsync, for a
    batch. Each message runs in a savepoint, so a refused one leaves the others be."""
    presences = {}  # (store, till): TillPresence, saved once per batch
    with database.atomic():
        outcomes = [_apply_one(database, topic, payload, presences)
                    for topic, payload in messages]
        for presence in presences.values():
            presence.save()
    return outcomes


def _presence(presences, store, till):
    key = (store, till)
    if key not in presences:
        presences[key] = TillPresence.get_or_create(store=store, till=till)[0]
    return presences[key]


def _apply_one(database, topic, payload, presences):
    try:
        where = parse_topic(topic)
        envelope = decode(payload)
        if (envelope.store, envelope.till, envelope.kind) != (where.store, where.till,
                                                             where.kind):
            raise ProtocolError(f"envelope says {envelope.store}/{envelope.till} "
                                f"{envelope.kind}, topic {topic}")
    except (ProtocolError, ValueError) as exc:
        return _dead(database, topic, payload, exc)
    try:
        with database.atomic():
            presence = _presence(presences, envelope.store, envelope.till)
            return HANDLERS[envelope.kind](envelope, presence)
    except (ProtocolError, IntegrityError) as exc:
        # e.g. a sale number reused under another UUID: not this message's to decide.
        return _dead(database, topic, payload, exc)


def _dead(database, topic, payload, error):
    with database.atomic():
        DeadLetter.create(topic=str(topic), error=str(error),
                          payload=bytes(payload).decode("utf-8", "replace"))
    return "dead"


def _once(model, key, fields):
    """Insert the row unless it is there: "applied" or "duplicate". A row that clashes
    with another on a unique key other than ``key`` is an IntegrityError."""
    if model._meta.database.execute(model.insert(**fields).on_conflict_ignore()).rowcount:
        return "applied"
    if model.select().where(key).exists():
        return "duplicate"
    raise IntegrityError(f"{model.__name__}: clashes with another row: {fields.get('seq', '')}")


def _sale(envelope, presence):
    body = envelope.body
    if body["uuid"] != envelope.id:
        raise ProtocolError(f"envelope id {envelope.id} is not the sale's {body['uuid']}")
    outcome = _once(Sale, Sale.uuid == envelope.id, dict(
        uuid=envelope.id, store=envelope.store, till=envelope.till, seq=body["seq"],
        kind=body["kind"], completed_at=body["completed_at"], customer=body["customer"],
        total=body["result"]["total"], body=body))
    presence.last_sale_seq = max(presence.last_sale_seq, envelope.seq)
    return outcome


def _session(envelope, presence):
    body = envelope.body
    return _once(ZReport, (ZReport.store == envelope.store) & (ZReport.till == envelope.till)
                 & (ZReport.z_number == body["z_number"]),
                 dict(store=envelope.store, till=envelope.till, z_number=body["z_number"],
                      body=body))


def _birth(envelope, presence):
    body = envelope.body
    if body["bd_seq"] < presence.bd_seq:
        return "stale"
    presence.online, presence.bd_seq, presence.last_seen = True, body["bd_seq"], now()
    presence.software, presence.catalog = body["software"], body["catalog"]
    presence.backlog = body["backlog"]
    return "applied"


def _death(envelope, presence):
    # A late Will of an earlier connection must not mark a connected till offline.
    if envelope.body["bd_seq"] != presence.bd_seq:
        return "stale"
    presence.online, presence.last_seen = False, now()
    return "applied"


HANDLERS = {"sale.completed": _sale, "session.closed": _session, "birth": _birth,
            "death": _death}


class Ingest(Worker):
    """One ingest worker: a persistent MQTT v5 session on the tills' topics.

    paho's thread queues the messages; this worker's thread applies them in batches of up
    to ``BATCH`` (one commit each) and only then acknowledges them.
    """

    BATCH = 500

    def __init__(self, database, settings, worker="1"):
        self.database = database
        self.settings = settings
        # Acknowledged only once applied: a worker killed mid-batch gets it again.
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"hub-ingest-{worker}",
                                  protocol=mqtt.MQTTv5, manual_ack=True)
        self.client.username_pw_set(settings.get("username", "hub"), settings.get("password"))
        self.client.reconnect_delay_set(1, 30)
        self.client.on_connect = self._on_connect
        self.client.on_message = lambda client, userdata, message: self.queue.put(
            (self.connection, message))
        self.queue = queue.Queue()
        # Message ids belong to a connection: after a reconnect, whatever was received but
        # not acknowledged comes again, and an old id must not acknowledge a new message.
        self.connection = 0
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._work, name="ingest", daemon=True)

    def _on_connect(self, client, userdata, flags, reason_code, properties):
        if reason_code.is_failure:
            log.warning("broker refused the ingest: %s", reason_code)
            return
        self.connection += 1
        client.subscribe([(topic, 1) for topic in SUBSCRIPTIONS])

    def _work(self):
        while not self.stopping.is_set():
            try:
                batch = [self.queue.get(timeout=0.2)]
            except queue.Empty:
                continue
            while len(batch) < self.BATCH:
                try:
                    batch.append(self.queue.get_nowait())
                except queue.Empty:
                    break
            current = self.connection
            batch = [message for connection, message in batch if connection == current]
            if batch:
                self._apply(batch, current)

    def _apply(self, batch, connection):
        """Apply and acknowledge; if the database fails, try again (unacknowledged, the
        messages stay the broker's until then)."""
        while not self.stopping.is_set():
            try:
                outcomes = apply_batch(self.database,
                                       [(message.topic, message.payload) for message in batch])
                break
            except Exception:
                log.exception("could not apply %d messages; trying again", len(batch))
                time.sleep(1)
        else:
            return
        for message, outcome in zip(batch, outcomes, strict=True):
            if outcome == "dead":
                log.warning("dead letter on %s", message.topic)
            if connection == self.connection:  # else it comes again, and is a duplicate
                self.client.ack(message.mid, message.qos)
