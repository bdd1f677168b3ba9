"""The hub's MQTT ingest: every sale a till completed, applied once.

It reads through an MQTT v5 shared subscription (``$share/hub/...``), so several ingest
workers can share the load. Each message is applied in one transaction, before paho
acknowledges it: a worker killed mid-message leaves the broker to deliver it again, and
the inbox (the sale's UUID as primary key) makes the second delivery a no-op. A message
that fails validation is kept as a dead letter with the reason, and ingestion goes on.
"""
import logging

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from peewee import IntegrityError

from shared.protocol import ProtocolError, decode, parse_topic
from shared.times import now

from .models import DeadLetter, Sale, TillPresence, ZReport

log = logging.getLogger(__name__)

SUBSCRIPTIONS = ("$share/hub/tilly/v1/+/+/sale", "$share/hub/tilly/v1/+/+/session",
                 "tilly/v1/+/+/birth", "tilly/v1/+/+/death")


def apply(database, topic, payload):
    """Apply one message; returns what it did ("applied", "duplicate", "stale", "dead")."""
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
            presence, _ = TillPresence.get_or_create(store=envelope.store, till=envelope.till)
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
    """Create the row unless ``key`` (a query) finds it: "applied" or "duplicate"."""
    if model.select().where(key).exists():
        return "duplicate"
    model.create(**fields)
    return "applied"


def _sale(envelope, presence):
    body = envelope.body
    if body["uuid"] != envelope.id:
        raise ProtocolError(f"envelope id {envelope.id} is not the sale's {body['uuid']}")
    outcome = _once(Sale, Sale.uuid == envelope.id, dict(
        uuid=envelope.id, store=envelope.store, till=envelope.till, seq=body["seq"],
        kind=body["kind"], completed_at=body["completed_at"], customer=body["customer"],
        total=body["result"]["total"], body=body))
    if envelope.seq > presence.last_sale_seq:
        presence.last_sale_seq = envelope.seq
        presence.save()
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
    presence.save()
    return "applied"


def _death(envelope, presence):
    # A late Will of an earlier connection must not mark a connected till offline.
    if envelope.body["bd_seq"] != presence.bd_seq:
        return "stale"
    presence.online, presence.last_seen = False, now()
    presence.save()
    return "applied"


HANDLERS = {"sale.completed": _sale, "session.closed": _session, "birth": _birth,
            "death": _death}


class Ingest:
    """One ingest worker: a persistent MQTT v5 session on the shared subscriptions."""

    def __init__(self, database, settings, worker="1"):
        self.database = database
        # Acknowledged only once applied: a worker killed mid-message gets it again.
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"hub-ingest-{worker}",
                                  protocol=mqtt.MQTTv5, manual_ack=True)
        self.client.username_pw_set(settings.get("username", "hub"), settings.get("password"))
        self.client.reconnect_delay_set(1, 30)
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.settings = settings

    def start(self):
        properties = mqtt.Properties(mqtt.PacketTypes.CONNECT)
        properties.SessionExpiryInterval = 7 * 24 * 3600  # queued for a week while down
        self.client.connect_async(self.settings.get("host", "127.0.0.1"),
                                  int(self.settings.get("port", 1883)), keepalive=30,
                                  clean_start=False, properties=properties)
        self.client.loop_start()

    def stop(self):
        self.client.disconnect()
        self.client.loop_stop()

    def _on_connect(self, client, userdata, flags, reason_code, properties):
        if reason_code.is_failure:
            log.warning("broker refused the ingest: %s", reason_code)
            return
        client.subscribe([(topic, 1) for topic in SUBSCRIPTIONS])

    def _on_message(self, client, userdata, message):
        try:
            outcome = apply(self.database, message.topic, message.payload)
        except Exception:  # the database failed: leave it unacknowledged, redelivered
            log.exception("could not apply a message on %s", message.topic)
            return
        if outcome == "dead":
            log.warning("dead letter on %s", message.topic)
        client.ack(message.mid, message.qos)
