"""The hub's catalog server (``python -m hub catalog serve``): sends each new catalog version
to the tills and answers the tills' catch-up requests, as one long-lived MQTT client.

Versions are written to the hub's database by ``catalog_versions.publish`` (the CLI, later
the admin app); this server finds the unsent ones within ``POLL_S`` and publishes each
one's delta (a store's first version: its snapshot) to all the store's tills at QoS 1,
marking it sent once the broker has every part. Requests come through a persistent
session, so those sent while the server is down are answered when it is back.
"""
import json
import logging
import sys
import threading
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from shared.protocol import ProtocolError, decode
from shared.protocol.catalog import (
    EVERY_TILL,
    delta_topic,
    messages,
    parse_till_topic,
    reply_topic,
)
from shared.times import iso, now

from . import (
    campaigns,
    catalog_versions,
    erasure,
    loyalty_program,
    reports,
    stock_checkpoints,
    stores,
)
from .models import DeadLetter, Store, TillPresence
from .session import Worker

log = logging.getLogger(__name__)

SUBSCRIPTION = "tilly/v1/+/+/catalog"


class CatalogServer(Worker):
    POLL_S = 0.1
    SCHEDULE_S = 10.0
    CHECKPOINT_S = 3600.0  # each store's stock checkpoint moved on hourly

    def __init__(self, database, settings):
        self.database = database
        self.settings = settings
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="hub-catalog",
                                  protocol=mqtt.MQTTv5)
        self.client.username_pw_set(settings.get("username", "hub"), settings.get("password"))
        self.client.reconnect_delay_set(1, 30)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = lambda *args: self.connected.clear()
        self.client.on_message = self._on_message
        self.connected = threading.Event()
        self.stopping = threading.Event()
        self.scheduled_at = None  # the last look for promotions that started or ended
        self.checkpointed_at = None
        self.thread = threading.Thread(target=self._send_new_versions, name="catalog",
                                       daemon=True)
        # The periodic work on a thread of its own: a long count of the reports never
        # holds up a price change on its way to the tills, nor waits for the broker.
        self.jobs = threading.Thread(target=self._run_jobs, name="catalog-jobs", daemon=True)

    def start(self):
        super().start()
        self.jobs.start()

    def stop(self):
        super().stop()
        self.jobs.join(timeout=10)

    def _on_connect(self, client, userdata, flags, reason_code, properties):
        if reason_code.is_failure:
            log.warning("broker refused the catalog server: %s", reason_code)
            return
        client.subscribe(SUBSCRIPTION, qos=1)
        self.connected.set()

    # -- new versions, to every till of the store -----------------------------------------

    def _send_new_versions(self):
        while not self.stopping.wait(self.POLL_S):
            if not self.connected.is_set():
                continue
            try:
                for row in catalog_versions.unpublished():
                    kind, base = (("catalog.delta", row.version - 1) if row.delta
                                  else ("catalog.snapshot", None))
                    sent = self._publish(delta_topic(row.store), messages(
                        kind, row.store, EVERY_TILL, row.version, row.digest,
                        row.delta or row.snapshot, iso(now()), base))
                    if not sent:
                        break  # disconnected: sent again once connected
                    with self.database.atomic():
                        catalog_versions.mark_published(row)
                    log.info("catalog %s version %d sent", row.store, row.version)
            except Exception:
                log.exception("could not send the new catalog versions; trying again")

    def _publish(self, topic, parts, wait=True):
        """Publish the parts at QoS 1; with ``wait``, True once the broker has them all."""
        infos = [self.client.publish(topic, data, qos=1) for data in parts]
        if not wait:
            return True
        try:
            for info in infos:
                info.wait_for_publish(timeout=10)
        except (RuntimeError, ValueError):
            return False
        return all(info.is_published() for info in infos)

    def _run_jobs(self):
        while True:
            self._scheduled_jobs()
            if self.stopping.wait(self.SCHEDULE_S):
                return

    def _scheduled_jobs(self):
        """The hub's periodic work, every ``SCHEDULE_S``: the reports' counts, expired
        loyalty points, a batch of campaign emails, erased customers taken out of the
        catalogs, hourly stock checkpoints, and new versions for the stores whose
        promotions started or ended since the last look (on start: since the oldest
        store's latest version)."""
        moment = now()
        # Each job on its own: one that fails is tried again next time, and stops no other.
        # The reports' counts first: the bought-together pairs go into the next version.
        self._job("count the sales for the reports", reports.refresh, self.database)
        self._job("expire loyalty points", loyalty_program.expire, self.database)
        self._job("send the campaigns' emails", campaigns.send_pending, self.database)
        self._job("take erased customers out of the catalogs", erasure.forget_erased,
                  self.database)
        if self.checkpointed_at is None or (
                moment - self.checkpointed_at).total_seconds() >= self.CHECKPOINT_S:
            if self._job("move the stock checkpoints on",
                         stock_checkpoints.refresh_all) is not None:
                self.checkpointed_at = moment  # stock pages then add up only what is new

        def publish_scheduled():
            since = self.scheduled_at or catalog_versions.oldest_latest() or moment
            return stores.publish_scheduled(self.database, since, moment)

        published = self._job("publish the scheduled catalogs", publish_scheduled)
        if published is not None:
            for store, version in published:
                log.info("catalog %s version %d made: a promotion started or ended",
                         store, version)
            self.scheduled_at = moment

    @staticmethod
    def _job(what, job, *args):
        """``job(*args)``'s result, or None (logged) when it failed."""
        try:
            return job(*args)
        except Exception:
            log.exception("could not %s; trying again", what)
            return None

    # -- a till's request or report (paho's thread) ----------------------------------------

    def _on_message(self, client, userdata, message):
        try:
            store, till = parse_till_topic(message.topic)
            envelope = decode(message.payload)
            if (envelope.store, envelope.till) != (store, till):
                raise ProtocolError(f"envelope says {envelope.store}/{envelope.till}, "
                                    f"topic {message.topic}")
            if envelope.kind == "catalog.request":
                self._answer(store, till, envelope.body)
            elif envelope.kind == "catalog.applied":
                self._record(store, till, envelope.body["version"])
            else:
                raise ProtocolError(f"kind: {envelope.kind} is not for the catalog topic")
        except (ProtocolError, ValueError) as exc:
            log.warning("dead letter on %s: %s", message.topic, exc)
            with self.database.atomic():
                DeadLetter.create(topic=message.topic, error=str(exc),
                                  payload=bytes(message.payload).decode("utf-8", "replace"))
        except Exception:  # e.g. the database: paho's thread must live on; the till asks again
            log.exception("could not handle the message on %s", message.topic)

    def _answer(self, store, till, request):
        answer = catalog_versions.catch_up(store, request["have"], request["digest"],
                                           request["snapshot"])
        if answer is None:
            return
        kind, base, last, text = answer
        # Not waited for: this is paho's own thread. QoS 1 and the session resend it.
        self._publish(reply_topic(store, till), messages(
            kind, store, till, last.version, last.digest, text, iso(now()), base), wait=False)
        log.info("catalog %s: %s to %s, %s -> %d", store, kind, till, request["have"],
                 last.version)

    def _record(self, store, till, version):
        """What the till runs now (its birth says it too, at each connection)."""
        with self.database.atomic():
            TillPresence.insert(store=store, till=till, catalog=str(version)).on_conflict(
                conflict_target=[TillPresence.store, TillPresence.till],
                update={TillPresence.catalog: str(version)}).execute()


def publish_command(database, code, path=None):
    """``python -m hub catalog publish``: the store's catalog (after importing the store
    file at ``path``, if given) as its next version; the exit status (1, with the reason,
    if it is refused)."""
    try:
        if path is not None:
            data = json.loads(Path(path).read_bytes())
            if isinstance(data, dict) and isinstance(data.get("store"), dict) \
                    and data["store"].get("id") != code:
                raise ValueError(f"the file is store {data['store'].get('id')!r}'s, "
                                 f"not {code!r}")
            stores.import_store_file(database, data, "cli")
        store = Store.get_or_none(Store.code == code)
        if store is None:
            raise ValueError(f"no store {code!r}: give its store file with --file")
        version = stores.publish(database, store, "cli")
    except OSError as exc:
        print(f"cannot read {path}: {exc.strerror}", file=sys.stderr)
        return 1
    except ValueError as exc:  # not JSON, StoreFileError or CatalogRefused
        print(f"refused: {exc}", file=sys.stderr)
        return 1
    print(f"{code}: version {version}" if version else
          f"{code}: unchanged, still version {catalog_versions.latest(code).version}")
    return 0
