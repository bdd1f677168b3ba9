"""The till's side of the catalog push: it applies the hub's catalog versions, each one
whole or not at all, and asks the hub for what it missed.

Applying a version: the new snapshot (a delta applied to the current one, or a whole
snapshot) is checked against the version's digest and loaded into a new ``Catalog`` and
pricing engine first; one the till cannot load is refused, written to the audit log, and
the till sells on. Then, under the till's lock, the open and parked sales are priced with
it (a version that cannot, e.g. one dropping a tax class a line has, waits until they are
done), and it is kept in the data dir (temp file, fsync, rename) and swapped in: a sale
in progress keeps its lines, and its next view is priced by the new engine. The till
reports the version to the hub (``catalog.applied``, and its next birth). After a restart
it starts on the last version it applied; the store file is only the first boot's
catalog.

Catch-up: on every connection, and whenever a delta's base is not its version, the till
asks (``catalog.request``) with the version and digest it has; the hub answers with one
delta from there, or the whole snapshot.
"""
import json
import logging
import os
import threading
import time
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from shared import catalog_delta
from shared.pricing import PricingError
from shared.protocol import Envelope, ProtocolError, decode, encode
from shared.protocol.catalog import (
    EVERY_TILL,
    Assembler,
    delta_topic,
    reply_topic,
    till_catalog_topic,
)
from shared.times import iso, now

from .basket import priced_view, sale_ref
from .catalog import Catalog, CatalogError

log = logging.getLogger(__name__)

KEPT = "catalog.json"
# A request not answered within this many seconds may be sent again.
ASK_AGAIN_S = 5
# How often a version that cannot price the sales in progress is tried again (seconds).
RETRY_S = 5


class CatalogSync:
    """The hub's catalog versions for one till: what it runs, and the link that brings more."""

    def __init__(self, data_dir):
        self.path = Path(data_dir) / KEPT
        self.version = self.digest = self.snapshot = None  # none yet: the store file
        self.till = self.client = None
        self.assembler = Assembler()
        self.asked = (None, 0.0)  # (what was asked, when)
        self.waiting = self.retry = None  # a version waiting for the sales in progress
        self.lock = threading.Lock()

    def load(self, store_file):
        """The catalog to start on: the last version applied, else the store file."""
        if self.path.exists():
            try:
                kept = json.loads(self.path.read_bytes())
                catalog = Catalog(kept["snapshot"], str(kept["version"]))
                self.version, self.digest = kept["version"], kept["digest"]
                self.snapshot = kept["snapshot"]
                return catalog
            except (OSError, ValueError, KeyError, TypeError) as exc:
                log.error("the kept catalog %s cannot be used (%r): starting on the store "
                          "file, and asking the hub", self.path, exc)
        return Catalog.load(store_file)

    # -- the link -------------------------------------------------------------------------

    def start(self, till, store, till_id, settings):
        self.till, self.store, self.till_id = till, store, till_id
        self.reply = reply_topic(store, till_id)
        client = mqtt.Client(CallbackAPIVersion.VERSION2,
                             client_id=f"till-{store}-{till_id}-catalog", protocol=mqtt.MQTTv5)
        client.username_pw_set(settings.get("username", f"{store}/{till_id}"),
                               settings.get("password"))
        if settings.get("tls_ca"):
            client.tls_set(ca_certs=settings["tls_ca"])
        client.reconnect_delay_set(1, int(settings.get("max_backoff_s", 60)))
        client.on_connect = self._on_connect
        client.on_subscribe = lambda *args: self.request(force=True)
        client.on_message = self._on_message
        self.client = client
        client.connect_async(settings.get("host", "127.0.0.1"), int(settings.get("port", 1883)),
                             keepalive=30)
        client.loop_start()

    def stop(self):
        if self.retry:
            self.retry.cancel()
        if self.client:
            self.client.disconnect()
            self.client.loop_stop()

    def _on_connect(self, client, userdata, flags, reason_code, properties):
        if reason_code.is_failure:
            log.warning("broker refused the till's catalog link: %s", reason_code)
            return
        # Subscribed first, then asked (on SUBACK): no answer can come before the till listens.
        client.subscribe([(delta_topic(self.store), 1), (self.reply, 1)])

    def _send(self, kind, seq, body):
        self.client.publish(till_catalog_topic(self.store, self.till_id), encode(Envelope(
            kind=kind, store=self.store, till=self.till_id, seq=seq,
            id=f"{self.till_id}-{kind}-{seq}", at=iso(now()), body=body)), qos=1)

    def request(self, snapshot=False, force=False):
        """Ask the hub for what the till lacks: the same question is not asked again
        while its answer may still be on the way (``force``: a new connection)."""
        question = (self.version, snapshot)
        if (not force and self.asked[0] == question
                and time.monotonic() - self.asked[1] < ASK_AGAIN_S):
            return
        self.asked = (question, time.monotonic())
        self._send("catalog.request", time.time_ns() // 1000,
                   {"have": self.version, "digest": self.digest, "snapshot": snapshot})

    # -- what the hub sends (paho's thread) -------------------------------------------------

    def _on_message(self, client, userdata, message):
        try:
            envelope = decode(message.payload)
            if (envelope.kind not in ("catalog.delta", "catalog.snapshot")
                    or envelope.store != self.store
                    or envelope.till not in (EVERY_TILL, self.till_id)):
                raise ProtocolError(f"{envelope.kind} for {envelope.store}/{envelope.till}")
            text = self.assembler.add(envelope)
        except ProtocolError as exc:
            self._refuse(None, f"message on {message.topic}: {exc}")
            return
        if text is None:
            return
        try:
            self.receive(envelope.kind, envelope.body, text, message.topic == self.reply)
        except Exception:  # e.g. the journal's disk: the link must outlive it
            log.exception("catalog version %s not applied", envelope.body["version"])

    def receive(self, kind, body, text, answer):
        """A whole delta or snapshot (JSON ``text``); ``answer``: sent to this till alone."""
        version = body["version"]
        if kind == "catalog.delta":
            if body["base"] != self.version:
                if self.version is None or version > self.version:
                    self.request()  # the till missed a version, or has another history
                return
            try:
                snapshot = catalog_delta.apply(self.snapshot, json.loads(text))
            except ValueError as exc:
                self._refuse(version, f"delta {body['base']} to {version}: {exc}")
                self.request(snapshot=True)
                return
        else:
            # A broadcast snapshot is news only if newer; an answer is what the hub has.
            if (version, body["digest"]) == (self.version, self.digest) or (
                    not answer and self.version is not None and version <= self.version):
                return
            try:
                snapshot = json.loads(text)
            except ValueError as exc:
                self._refuse(version, f"snapshot {version}: not JSON: {exc}")
                return
        self.apply(version, body["digest"], snapshot, ask_snapshot=kind == "catalog.delta")

    def apply(self, version, digest, snapshot, ask_snapshot=False):
        """Load, check, keep, swap: the till runs all of version ``version`` or stays as it
        was. True if applied. A refused delta's result (``ask_snapshot``) makes the till ask
        for the whole snapshot; a refused snapshot does not, or it would ask forever."""
        with self.lock:
            try:
                normal, catalog = self._load(version, digest, snapshot)
            except ValueError as exc:
                self._refuse(version, f"version {version}: {exc}")
                if ask_snapshot:
                    self.request(snapshot=True)
                return False
            till, was = self.till, self.version
            with till.changing():
                unpriced = self._unpriced(catalog)
                if unpriced:
                    self._wait(version, digest, snapshot, unpriced)
                    return False
                try:
                    self._keep(version, digest, normal)
                except OSError as exc:
                    self._refuse(version, f"version {version}: cannot keep it: {exc}")
                    return False
                till.catalog = catalog
                if till.link is not None:
                    till.link.catalog_version = catalog.version  # said in the next birth
                self.version, self.digest, self.snapshot = version, digest, normal
                self.waiting = None
                till.journal.audit("catalog.applied", None, None, None,
                                   {"version": version, "was": was})
        log.info("catalog version %d applied (was %s)", version, was)
        self._send("catalog.applied", version, {"version": version, "digest": digest})
        return True

    def _load(self, version, digest, snapshot):
        """(normal snapshot, Catalog) of the version; CatalogError if the till cannot run it."""
        normal = catalog_delta.normal(snapshot)
        if catalog_delta.digest(normal) != digest:
            raise CatalogError("its content does not match the version's digest")
        catalog = Catalog(normal, str(version))
        if catalog.store.get("id") != self.store:
            raise CatalogError(f"it is for store {catalog.store.get('id')!r}")
        return normal, catalog

    def _unpriced(self, catalog):
        """Why ``catalog`` could not price the till's open or parked sales (a line's tax
        class it drops, say), or None. Under the till's lock, so no sale changes meanwhile."""
        journal = self.till.journal
        for sale in filter(None, [journal.open_sale(), *journal.parked_sales()]):
            if sale.kind == "refund":  # priced from the original sale, not the engine
                continue
            try:
                priced_view(catalog, sale, journal.lines(sale), journal.payments(sale),
                            catalog.customers.get(sale.customer))
            except PricingError as exc:
                return f"sale {sale_ref(sale)} cannot be priced by it: {exc}"
        return None

    def _wait(self, version, digest, snapshot, reason):
        """The version waits for the sales it cannot price: tried again every ``RETRY_S``
        until they are done, or a newer version comes."""
        if self.waiting != version:
            log.warning("catalog version %d waits: %s", version, reason)
            self.till.journal.audit("catalog.waiting", None, None, None,
                                    {"version": version, "reason": reason[:500]})
        self.waiting = version
        self.retry = threading.Timer(RETRY_S, self._retry, (version, digest, snapshot))
        self.retry.daemon = True
        self.retry.start()

    def _retry(self, version, digest, snapshot):
        if self.waiting == version:
            self.apply(version, digest, snapshot)

    def _keep(self, version, digest, snapshot):
        """Durably, before the till runs it: a restart comes up on this version."""
        temporary = self.path.with_suffix(".tmp")
        with open(temporary, "wb") as handle:
            handle.write(json.dumps({"version": version, "digest": digest,
                                     "snapshot": snapshot}).encode())
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, self.path)
        directory = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)

    def _refuse(self, version, reason):
        log.warning("catalog refused: %s", reason)
        with self.till.lock:
            self.till.journal.audit("catalog.refused", None, None, None,
                                    {"version": version, "reason": reason[:500]})
