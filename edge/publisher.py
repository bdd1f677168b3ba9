"""The till's link to the hub: drains the journal's outbox to the MQTT broker.

paho-mqtt 2.x, MQTT v5, QoS 1. A message is marked sent when the broker's PUBACK arrives,
and confirmed when the hub's ack (on ``tilly/v1/hub/<store>/<till>/ack``) names it. A
PUBACK only says the broker has it, and a broker may still lose it (a restart drops what
it held for a shared subscription), so every row not confirmed is sent again on each new
connection, when the hub says it is online (``tilly/v1/hub/state``), and when it has gone
unconfirmed for ``confirm_timeout_s``. A crash, a dead broker or a week offline only delay
a sale; the hub applies each sale once, by its UUID. At most ``max_inflight`` messages are
unacknowledged at a time, and reconnects back off exponentially up to ``max_backoff_s``.

Each connection gets a new birth/death sequence (``bd_seq``): the birth message says it,
and the MQTT Will the broker publishes if the till vanishes carries the same number, so
the hub can tell a late Will from the current connection's. While connected, a ``status``
every ``status_interval_s`` tells the hub the backlog and catalog the till has now.
"""
import datetime
import logging
import threading
import time
from importlib.metadata import PackageNotFoundError, version

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from shared.protocol import (
    HUB_STATE,
    Envelope,
    ProtocolError,
    decode,
    decode_state,
    encode,
    hub_topic,
    till_topic,
)
from shared.times import iso, now

log = logging.getLogger(__name__)


def software_version():
    try:
        return version("tilly")
    except PackageNotFoundError:
        return "unknown"


class Publisher:
    def __init__(self, journal, store, till_id, settings, catalog_version=None):
        self.journal = journal
        self.store = store
        self.till_id = till_id
        self.settings = settings
        self.catalog_version = catalog_version
        self.max_inflight = int(settings.get("max_inflight", 20))
        # How often a connected till tells the hub its backlog and catalog (a status).
        self.status_interval = float(settings.get("status_interval_s", 60))
        self.status_due = 0.0
        self.confirm_timeout = datetime.timedelta(
            seconds=float(settings.get("confirm_timeout_s", 30)))
        # Rows the broker acknowledged before this moment go again: set on each connection
        # and when the hub comes online, as either may have lost what was sent before.
        self.resend_before = now()
        self.inflight = {}  # paho message id: outbox row id, until marked sent
        self.early_acks = {}  # paho message id: acknowledged, for PUBACKs that beat us
        self.lock = threading.Lock()
        self.wake = threading.Event()
        self.stopping = threading.Event()
        self.connected = threading.Event()
        self.hub_online = False  # what the hub's retained state said last
        self.waiting = {}  # tender request id: [Event, the hub's reply body or None]
        self.client = None
        self.thread = None

    # -- lifecycle ------------------------------------------------------------------------

    def start(self):
        client = mqtt.Client(CallbackAPIVersion.VERSION2,
                             client_id=f"till-{self.store}-{self.till_id}",
                             protocol=mqtt.MQTTv5)
        client.username_pw_set(self.settings.get("username", f"{self.store}/{self.till_id}"),
                               self.settings.get("password"))
        if self.settings.get("tls_ca"):
            client.tls_set(ca_certs=self.settings["tls_ca"])
        client.reconnect_delay_set(1, int(self.settings.get("max_backoff_s", 60)))
        client.max_inflight_messages_set(self.max_inflight)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_publish = self._on_publish
        client.on_subscribe = self._on_subscribe
        client.message_callback_add(hub_topic(self.store, self.till_id, "ack"), self._on_ack)
        client.message_callback_add(HUB_STATE, self._on_hub_state)
        client.message_callback_add(hub_topic(self.store, self.till_id, "tender.reply"),
                                    self._on_tender_reply)
        self.client = client
        self._set_will()
        client.connect_async(self.settings.get("host", "127.0.0.1"),
                             int(self.settings.get("port", 1883)), keepalive=30)
        client.loop_start()
        self.thread = threading.Thread(target=self._drain, name="outbox", daemon=True)
        self.thread.start()

    def stop(self):
        self.stopping.set()
        self.wake.set()
        if self.thread:
            self.thread.join(timeout=5)
        if self.client:
            self.client.disconnect()
            self.client.loop_stop()

    def notify(self):
        """Something was written to the outbox: send it now, not at the next poll."""
        self.wake.set()

    # -- paho callbacks (its network thread) ------------------------------------------------

    def _set_will(self):
        self.bd_seq = self.journal.bump_number("bd_seq")
        self.client.will_set(till_topic(self.store, self.till_id, "death"),
                             self._encode("death", self.bd_seq, str(self.bd_seq),
                                          {"bd_seq": self.bd_seq}), qos=1)

    def _on_connect(self, client, userdata, flags, reason_code, properties):
        if reason_code.is_failure:
            log.warning("broker refused the till: %s", reason_code)
            return
        with self.lock:
            # Whatever was in flight on the last connection is sent again from the outbox.
            self.inflight.clear()
            self.early_acks.clear()
            self.resend_before = now()
        # Subscribed before anything is sent: the broker handles the packets in order, so
        # no ack can come before the subscription.
        client.subscribe([(hub_topic(self.store, self.till_id, "ack"), 1), (HUB_STATE, 1),
                          (hub_topic(self.store, self.till_id, "tender.reply"), 1)])
        birth = {"bd_seq": self.bd_seq, "software": software_version(),
                 "catalog": self.catalog_version, "backlog": self.journal.outbox_backlog()}
        client.publish(till_topic(self.store, self.till_id, "birth"),
                       self._encode("birth", self.bd_seq, str(self.bd_seq), birth), qos=1)
        self.status_due = time.monotonic() + self.status_interval  # the birth said it all
        self.connected.set()
        self.wake.set()

    def _on_disconnect(self, client, userdata, flags, reason_code, properties):
        self.connected.clear()
        self.hub_online = False  # said again by the retained state on the next connection
        if not self.stopping.is_set():
            self._set_will()  # the next connection is a new one: a new bd_seq

    def _on_subscribe(self, client, userdata, mid, reason_codes, properties):
        if any(code.is_failure for code in reason_codes):
            log.warning("broker refused the till's subscriptions: %s", reason_codes)

    def _on_ack(self, client, userdata, message):
        """The hub applied these rows (or kept them as dead letters): never send again."""
        envelope = self._mine(message, "ack", "a bad ack (its rows will be sent again)")
        if envelope is None:
            return
        if envelope.body["dead"]:
            log.warning("the hub kept outbox rows %s as dead letters", envelope.body["dead"])
        self.journal.confirm(envelope.body["seqs"])

    def _mine(self, message, kind, what):
        """The message's envelope if it is a ``kind`` for this till, else None (logged)."""
        try:
            envelope = decode(message.payload)
            if (envelope.kind, envelope.store, envelope.till) != (kind, self.store,
                                                                  self.till_id):
                raise ProtocolError(f"{envelope.kind} for {envelope.store}/{envelope.till} "
                                    f"on this till's {kind} topic")
        except ProtocolError as exc:
            log.warning("ignoring %s: %s", what, exc)
            return None
        return envelope

    def _on_hub_state(self, client, userdata, message):
        try:
            state = decode_state(message.payload)
        except ProtocolError as exc:
            log.warning("ignoring a bad hub state: %s", exc)
            return
        log.info("hub %s (worker %s)", "online" if state.online else "offline", state.worker)
        self.hub_online = state.online
        if state.online:  # what it may have missed while away goes again, now
            self.resend_before = now()
            self.wake.set()

    def _on_tender_reply(self, client, userdata, message):
        """The hub's answer to a voucher or store credit request this till waits for."""
        envelope = self._mine(message, "tender.reply", "a bad tender reply")
        if envelope is None:
            return
        with self.lock:
            waiter = self.waiting.get(envelope.body["request"])
        if waiter is not None:  # else late: the till gave up on it and released it
            waiter[1] = envelope.body
            waiter[0].set()

    def reachable(self):
        """Connected, and the hub says it is online: a request may be answered."""
        return self.connected.is_set() and self.hub_online

    def ask(self, body, timeout):
        """Send a ``tender.request`` and wait for the hub's reply body; None if none came
        within ``timeout`` seconds (or the request could not be sent)."""
        waiter = [threading.Event(), None]
        with self.lock:
            self.waiting[body["request"]] = waiter
        try:
            info = self.client.publish(
                till_topic(self.store, self.till_id, "tender.request"),
                self._encode("tender.request", time.time_ns() // 1000, body["request"], body),
                qos=1)
            if info.rc != mqtt.MQTT_ERR_SUCCESS:
                return None
            waiter[0].wait(timeout)
            return waiter[1]
        finally:
            with self.lock:
                self.waiting.pop(body["request"], None)

    def _on_publish(self, client, userdata, mid, reason_code, properties):
        with self.lock:
            row = self.inflight.get(mid)
            if row is None:  # acknowledged before _send_some recorded it
                self.early_acks[mid] = not reason_code.is_failure
        if row is not None:
            if not reason_code.is_failure:
                self.journal.mark_sent(row)
            # Only now may the drain see it again: sent, or (refused) to be sent again.
            with self.lock:
                self.inflight.pop(mid, None)
        self.wake.set()

    # -- draining -----------------------------------------------------------------------

    def _encode(self, kind, seq, ident, body):
        return encode(Envelope(kind=kind, store=self.store, till=self.till_id, seq=seq,
                               id=ident, at=iso(now()), body=body))

    def _drain(self):
        while not self.stopping.is_set():
            self.wake.wait(timeout=1.0)
            self.wake.clear()
            if self.connected.is_set():
                self._send_some()
                if time.monotonic() >= self.status_due:
                    self._send_status()

    def _send_status(self):
        self.status_due = time.monotonic() + self.status_interval
        status = {"bd_seq": self.bd_seq, "catalog": self.catalog_version,
                  "backlog": self.journal.outbox_backlog()}
        self.client.publish(till_topic(self.store, self.till_id, "status"),
                            self._encode("status", self.bd_seq, str(self.bd_seq), status),
                            qos=1)

    def _send_some(self):
        with self.lock:
            room = self.max_inflight - len(self.inflight)
            busy = set(self.inflight.values())
        if room <= 0:
            return
        resend_before = max(self.resend_before, now() - self.confirm_timeout)
        for row in self.journal.unsent(limit=room, skip=busy, sent_before=resend_before):
            ident = row.payload.get("uuid") or f"{self.till_id}-{row.kind}-{row.id}"
            data = self._encode(row.kind, row.id, ident, row.payload)
            info = self.client.publish(till_topic(self.store, self.till_id, row.kind), data,
                                       qos=1)
            if info.rc != mqtt.MQTT_ERR_SUCCESS:
                return  # disconnected meanwhile: the next connection sends it
            with self.lock:
                acked = self.early_acks.pop(info.mid, None)
                if acked is None:
                    self.inflight[info.mid] = row.id
            if acked:
                self.journal.mark_sent(row.id)
