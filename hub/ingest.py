"""The hub's MQTT ingest: every sale a till completed, applied once, and confirmed.

Workers read through persistent MQTT v5 shared subscriptions (see SUBSCRIPTIONS), so
several run side by side. A batch of messages is applied in one transaction; after the
commit the worker publishes to each till an ack naming the outbox seqs it handled, and
only then acknowledges the messages to the broker. A worker killed mid-batch leaves the
broker to deliver them again, and a message the broker lost is sent again by its till,
which keeps every row the hub has not confirmed; the inbox (the sale's UUID as primary
key) makes a second delivery a no-op. A message that fails validation is kept as a dead
letter with the reason (and acked: it is handled), and ingestion goes on. A sale's
effects (stock movements, loyalty points, customer statistics) are written in its
transaction, so they happen once too.
"""
import logging
import queue
import threading
import time
import uuid
from dataclasses import dataclass, field
from functools import partial

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from peewee import DataError, IntegrityError

from shared.protocol import (
    HUB_STATE,
    OUTBOX_KINDS,
    Envelope,
    HubState,
    ProtocolError,
    decode,
    decode_state,
    encode,
    encode_state,
    hub_topic,
    parse_topic,
)
from shared.protocol.messages import check_seq, load
from shared.times import iso, now

from . import campaign_results, fleet, loyalty, stock, tenders
from .catalog_versions import snapshot_of
from .models import (
    DeadLetter,
    Sale,
    SaleCheck,
    TillPresence,
    ZReport,
    execute_rows,
    insert_rows,
    quote,
)
from .session import Worker
from .tender_server import FILTER as TENDER_FILTER
from .tender_server import SUBSCRIPTION as TENDER_SUBSCRIPTION
from .tender_server import TenderServer
from .verify import Verifier

log = logging.getLogger(__name__)
# Each sale is re-priced from the catalog version its till ran, as the hub published it.
VERIFIER = Verifier(snapshot_of)

# Shared: the broker gives each message to one worker of the group "hub". A broker restart
# forgets a persistent session's shared subscriptions (mosquitto 2.0.11) until the worker
# subscribes again, and what it got meanwhile is lost; the tills send it again, as the hub
# never confirmed it (docs/protocol.md).
SUBSCRIPTIONS = tuple(f"$share/hub/tilly/v1/+/+/{level}"
                      for level in ("sale", "session", "birth", "death", "status", "release"))


@dataclass
class Ack:
    """What a batch tells one till: the outbox seqs handled, and which became dead letters."""

    seqs: set = field(default_factory=set)
    dead: set = field(default_factory=set)


def apply(database, topic, payload):
    """Apply one message; returns what it did ("applied", "duplicate", "stale", "dead")."""
    return apply_batch(database, [(topic, payload)])[0][0]


def apply_batch(database, messages):
    """Apply (topic, payload) messages in one transaction: one commit, one fsync, for a
    batch. The batch's new sales go in together, a statement for their rows and one for
    each kind of effect; if any of that fails (a number no column holds, a sale number
    reused under another UUID), the batch starts again one message at a time, each in a
    savepoint, so a refused one leaves the others be. Returns the outcomes, and the acks
    to send: {(store, till): Ack}."""
    read = [_read(topic, payload) for topic, payload in messages]
    order = sorted(range(len(messages)), key=lambda index: _lock_order(read, index))
    with database.atomic():
        try:
            with database.atomic():
                outcomes, last_sales = _apply_together(database, messages, read, order)
        except REFUSED:
            outcomes, last_sales = _apply_each(database, messages, read, order)
        _record_last_sales(database, last_sales)
    acks = {}
    for (where, _, _), (outcome, seq) in zip(read, outcomes, strict=True):
        if seq is not None:
            ack = acks.setdefault((where.store, where.till), Ack())
            ack.seqs.add(seq)
            if outcome == "dead":
                ack.dead.add(seq)
    return [outcome for outcome, _ in outcomes], acks


# What makes a message a dead letter rather than the batch fail: e.g. a sale number reused
# under another UUID, or a number no column holds.
REFUSED = (ProtocolError, IntegrityError, DataError, OverflowError)


def _apply_each(database, messages, read, order):
    """Each message in a savepoint of its own: [(outcome, the seq to ack or None)], and
    the tills' latest sales."""
    outcomes = [None] * len(messages)
    last_sales = {}  # (store, till): the batch's latest sale (seq, completed), saved once
    for index in order:
        (topic, payload), (where, envelope, error) = messages[index], read[index]
        outcomes[index] = _apply_one(database, topic, payload, where, envelope, error,
                                     last_sales)
    return outcomes, last_sales


def _apply_together(database, messages, read, order):
    """The batch's sales (each UUID's first) inserted together, and their effects; the
    other messages (the rest of the sales too: a UUID twice, or one the body does not
    match) one by one after, as ``_apply_each``. Any of REFUSED raised: the caller rolls
    it all back and applies the batch one by one."""
    outcomes = [None] * len(messages)
    last_sales = {}
    together, rest, seen = [], [], set()
    for index in order:
        where, envelope, error = read[index]
        if (error is None and envelope.kind == "sale.completed"
                and envelope.body["uuid"] == envelope.id and envelope.id not in seen):
            seen.add(envelope.id)
            together.append(index)
        else:
            rest.append(index)
    envelopes = [read[index][1] for index in together]
    # In the lock order (by UUID): two workers on PostgreSQL given the same sales wait for
    # each other instead of deadlocking.
    inserted = set(insert_rows(Sale, [_sale_row(envelope) for envelope in envelopes],
                               skip_conflicts=True, returning=Sale.uuid))
    missing = [envelope.id for envelope in envelopes if envelope.id not in inserted]
    there = {key for (key,) in Sale.select(Sale.uuid).where(Sale.uuid.in_(missing))
             .tuples()} if missing else set()
    if len(there) < len(missing):
        raise IntegrityError("a sale clashes with another row")  # found one by one
    _sale_effects([(envelope.store, envelope.body) for envelope in envelopes
                   if envelope.id in inserted])
    for index, envelope in zip(together, envelopes, strict=True):
        outcomes[index] = ("applied" if envelope.id in inserted else "duplicate",
                           envelope.seq)
        _note_last_sale(last_sales, envelope)
    for index in rest:
        (topic, payload), (where, envelope, error) = messages[index], read[index]
        outcomes[index] = _apply_one(database, topic, payload, where, envelope, error,
                                     last_sales)
    return outcomes, last_sales


def _record_last_sales(database, last_sales):
    """Each till's latest sale of the batch, one statement built once, till by till in
    order (the lock order); only upwards, so workers side by side never step back."""
    insert_rows(TillPresence, [{"store": store, "till": till}
                               for store, till in sorted(last_sales)], skip_conflicts=True)
    execute_rows(database, _last_sale_sql(database),
                 [(seq, seq, at, at, store, till)
                  for (store, till), (seq, at) in sorted(last_sales.items())])


def _last_sale_sql(database):
    q = partial(quote, database)
    seq, at = q("last_sale_seq"), q("last_sale_at")
    return (f"UPDATE {q(TillPresence._meta.table_name)} "
            f"SET {seq} = CASE WHEN {seq} < {database.param} THEN {database.param} "
            f"ELSE {seq} END, "
            f"{at} = CASE WHEN {at} IS NULL OR {at} < {database.param} THEN {database.param} "
            f"ELSE {at} END WHERE {q('store')} = {database.param} "
            f"AND {q('till')} = {database.param}")


def _lock_order(read, index):
    """Outbox messages (sales, Z reports) first, by kind and id, the rest as they came: two
    workers on PostgreSQL given the same sale then take its row in the same order, and
    the one waits for the other instead of both deadlocking."""
    envelope = read[index][1]
    if envelope is not None and envelope.kind in OUTBOX_KINDS:
        return (0, envelope.kind, envelope.id)
    return (1, index)


def _read(topic, payload):
    """(the till's topic or None, the envelope or None, what was wrong or None)."""
    try:
        where = parse_topic(topic)
    except ValueError as exc:
        return None, None, exc
    try:
        envelope = decode(payload)
        if (envelope.store, envelope.till, envelope.kind) != (where.store, where.till,
                                                             where.kind):
            raise ProtocolError(f"envelope says {envelope.store}/{envelope.till} "
                                f"{envelope.kind}, topic {topic}")
    except ProtocolError as exc:
        return where, None, exc
    return where, envelope, None


def _apply_one(database, topic, payload, where, envelope, error, last_sales):
    """(outcome, the outbox seq to ack or None)."""
    if error is not None:
        seq = _outbox_seq(where, payload) if where is not None else None
        return _dead(database, topic, payload, error), seq
    seq = envelope.seq if where.kind in OUTBOX_KINDS else None
    try:
        with database.atomic():
            return HANDLERS[envelope.kind](envelope, last_sales), seq
    except REFUSED as exc:
        return _dead(database, topic, payload, exc), seq


def _outbox_seq(where, payload):
    """The outbox seq of a message that could not be read, if it names one: acked as a
    dead letter, or its till would send it for ever."""
    if where.kind not in OUTBOX_KINDS:
        return None
    try:
        return check_seq(load(payload).get("seq"), "seq")
    except ProtocolError:
        return None


def _dead(database, topic, payload, error):
    # PostgreSQL's text holds no NUL character; the replacement keeps the rest readable.
    text = bytes(payload).decode("utf-8", "replace").replace("\x00", "\ufffd")
    with database.atomic():
        DeadLetter.create(topic=str(topic), error=str(error), payload=text)
    return "dead"


def _presence(store, till):
    """The till's presence row, created if need be; as a condition for an update. Each
    update is one statement that says what it expects, so workers side by side never
    overwrite each other's."""
    TillPresence.insert(store=store, till=till).on_conflict_ignore().execute()
    return (TillPresence.store == store) & (TillPresence.till == till)


def _once(model, key, fields):
    """Insert the row unless it is there: "applied" or "duplicate". A row that clashes
    with another on a unique key other than ``key`` is an IntegrityError."""
    if insert_rows(model, [fields], skip_conflicts=True):
        return "applied"
    if model.select().where(key).exists():
        return "duplicate"
    raise IntegrityError(f"{model.__name__}: clashes with another row: {fields.get('seq', '')}")


def _sale_row(envelope):
    body = envelope.body
    return dict(uuid=envelope.id, store=envelope.store, till=envelope.till, seq=body["seq"],
                kind=body["kind"], completed_at=body["completed_at"],
                customer=body["customer"], total=body["result"]["total"], body=body)


def _sale(envelope, last_sales):
    body = envelope.body
    if body["uuid"] != envelope.id:
        raise ProtocolError(f"envelope id {envelope.id} is not the sale's {body['uuid']}")
    outcome = _once(Sale, Sale.uuid == envelope.id, _sale_row(envelope))
    if outcome == "applied":  # in the sale's transaction: once, with the sale
        _sale_effects([(envelope.store, body)])
    _note_last_sale(last_sales, envelope)
    return outcome


def _note_last_sale(last_sales, envelope):
    key = (envelope.store, envelope.till)
    seq, at = last_sales.get(key, (0, ""))
    last_sales[key] = (max(seq, envelope.seq), max(at, envelope.body["completed_at"]))


def _sale_effects(sales):
    """The effects of sales just inserted, [(store, body)], in their transaction: the
    stock movements, campaign codes and the checks each in one statement, loyalty sale
    by sale."""
    stock.record_sales(sales)
    campaign_results.record_sales(sales)
    for store, body in sales:
        loyalty.record_sale(store, body)
        tenders.record_sale(store, body)
    _check(sales)


def _check(sales):
    """Re-price each sale as the till did and keep what that found; a mismatch is logged."""
    rows = []
    for store, body in sales:
        status, problems = VERIFIER.check(store, body)
        unapproved = tenders.unapproved(store, body)  # voucher, store credit, points
        if unapproved:
            status, problems = "mismatch", [*problems, *unapproved]
        rows.append({"sale": body["uuid"], "store": store, "status": status,
                     "problems": problems})
        if status == "mismatch":
            log.warning("sale %s of %s/%s does not re-price as the till did: %s",
                        body["uuid"], store, body["till"], "; ".join(problems))
    insert_rows(SaleCheck, rows)


def _session(envelope, last_sales):
    body = envelope.body
    return _once(ZReport, (ZReport.store == envelope.store) & (ZReport.till == envelope.till)
                 & (ZReport.z_number == body["z_number"]),
                 dict(store=envelope.store, till=envelope.till, z_number=body["z_number"],
                      body=body))


def _birth(envelope, last_sales):
    body = envelope.body
    updated = TillPresence.update(
        online=True, bd_seq=body["bd_seq"], last_seen=now(), software=body["software"],
        catalog=body["catalog"], backlog=body["backlog"],
    ).where(_presence(envelope.store, envelope.till)
            & (TillPresence.bd_seq <= body["bd_seq"])).execute()
    if not updated:
        return "stale"
    fleet.update_alerts(TillPresence.get(_presence(envelope.store, envelope.till)))
    return "applied"


def _death(envelope, last_sales):
    # A late Will of an earlier connection must not mark a connected till offline.
    updated = TillPresence.update(online=False, last_seen=now()).where(
        _presence(envelope.store, envelope.till)
        & (TillPresence.bd_seq == envelope.body["bd_seq"])).execute()
    if not updated:
        return "stale"
    fleet.update_alerts(TillPresence.get(_presence(envelope.store, envelope.till)))
    return "applied"


def _status(envelope, last_sales):
    """A connected till's backlog and catalog now; a late one of an old connection is
    stale."""
    body = envelope.body
    updated = TillPresence.update(
        last_seen=now(), catalog=body["catalog"], backlog=body["backlog"],
    ).where(_presence(envelope.store, envelope.till)
            & (TillPresence.bd_seq == body["bd_seq"]) & TillPresence.online).execute()
    if not updated:
        return "stale"
    fleet.update_alerts(TillPresence.get(_presence(envelope.store, envelope.till)))
    return "applied"


def _release(envelope, last_sales):
    return tenders.release(envelope.store, envelope.till, envelope.body)


def _not_here(envelope, last_sales):
    raise ProtocolError("tender requests are answered on their own subscription")


HANDLERS = {"sale.completed": _sale, "session.closed": _session, "birth": _birth,
            "death": _death, "status": _status, "tender.release": _release,
            "tender.request": _not_here}


def ack_message(store, till, ack):
    """The ack for one till, as the protocol encodes it."""
    return encode(Envelope(kind="ack", store=store, till=till, seq=max(ack.seqs),
                           id=str(uuid.uuid4()), at=iso(now()),
                           body={"seqs": sorted(ack.seqs), "dead": sorted(ack.dead)}))


class Ingest(Worker):
    """One ingest worker: a persistent MQTT v5 session on the tills' topics.

    paho's thread queues the messages; this worker's thread applies them in batches of up
    to ``BATCH`` (one commit each), acks them to their tills, and only then acknowledges
    them to the broker. The worker keeps the hub's retained state (``tilly/v1/hub/state``)
    online while it is connected; its Will says offline.
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
        self.worker = worker
        self.client.will_set(HUB_STATE, self._state(False), qos=1, retain=True)
        self.client.on_connect = self._on_connect
        self.client.message_callback_add(HUB_STATE, self._on_hub_state)
        self.client.on_message = lambda client, userdata, message: self.queue.put(
            (self.connection, message))
        self.queue = queue.Queue()
        # Message ids belong to a connection: after a reconnect, whatever was received but
        # not acknowledged comes again, and an old id must not acknowledge a new message.
        self.connection = 0
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._work, name="ingest", daemon=True)
        # Voucher and store credit requests: answered at once, on a thread of their own.
        self.tenders = TenderServer(database, self.client, self.stopping,
                                    lambda: self.connection)
        self.client.message_callback_add(TENDER_FILTER, self.tenders.on_message)

    def _on_connect(self, client, userdata, flags, reason_code, properties):
        if reason_code.is_failure:
            log.warning("broker refused the ingest: %s", reason_code)
            return
        self.connection += 1
        # Every time: a broker restart forgets shared subscriptions. The state at QoS 0,
        # needing no acknowledgement: this worker says it again on every connection.
        client.subscribe([(topic, 1) for topic in (*SUBSCRIPTIONS, TENDER_SUBSCRIPTION)]
                         + [(HUB_STATE, 0)])
        client.publish(HUB_STATE, self._state(True), qos=1, retain=True)

    def _state(self, online):
        return encode_state(HubState(online=online, worker=self.worker, at=iso(now())))

    def _on_hub_state(self, client, userdata, message):
        """Another worker's Will said the hub is offline; while this one runs, it is not."""
        try:
            state = decode_state(message.payload)
        except ProtocolError as exc:
            log.warning("bad hub state on %s: %s", message.topic, exc)
            return
        if not state.online:
            client.publish(HUB_STATE, self._state(True), qos=1, retain=True)

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
        """Apply and acknowledge; if the database fails, try again on a new connection
        (unacknowledged, the messages stay the broker's until then)."""
        while not self.stopping.is_set():
            try:
                outcomes, acks = apply_batch(
                    self.database, [(message.topic, message.payload) for message in batch])
                break
            except Exception:
                log.exception("could not apply %d messages; trying again", len(batch))
                # On a new connection: the server may have gone (a PostgreSQL restart).
                if not self.database.is_closed():
                    self.database.close()
                time.sleep(1)
        else:
            return
        for (store, till), ack in acks.items():
            self.client.publish(hub_topic(store, till, "ack"), ack_message(store, till, ack),
                                qos=1)
        for message, outcome in zip(batch, outcomes, strict=True):
            if outcome == "dead":
                log.warning("dead letter on %s", message.topic)
            if connection == self.connection:  # else it comes again, and is a duplicate
                self.client.ack(message.mid, message.qos)
