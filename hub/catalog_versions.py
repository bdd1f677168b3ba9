"""The hub's catalog versions: per store, numbered snapshots (1, 2, 3…), each kept with the
delta from the one before, and what brings a till from the version it has to the latest.

A snapshot is the till's store-file format. It is accepted only if a till could load it:
it goes through the till's own loading rules (``edge.catalog.Catalog``) first, so the
tills are never sent a version they would refuse.
"""
import datetime
import json

from peewee import (
    CharField,
    DateTimeField,
    IntegerField,
    IntegrityError,
    Model,
    TextField,
    fn,
)

from edge.catalog import Catalog, CatalogError
from shared import catalog_delta
from shared.protocol.topics import check_store
from shared.times import now
from shared.whole_numbers import MAX_ID, whole_number


class CatalogRefused(ValueError):
    """A snapshot the hub does not accept; the text says why."""


class CatalogVersion(Model):
    store = CharField()
    version = IntegerField()
    digest = CharField()
    snapshot = TextField()  # canonical JSON, normal form (shared.catalog_delta)
    delta = TextField(null=True)  # from version - 1, canonical JSON; none for the first
    created_at = DateTimeField(default=now)
    published_at = DateTimeField(null=True, index=True)  # when the tills were sent it

    class Meta:
        database = None  # bound with the hub's other models (hub.models.MODELS)
        legacy_table_names = False
        indexes = ((("store", "version"), True),)


def check(store, snapshot):
    """``snapshot`` in normal form; CatalogRefused with the reason a till would give."""
    try:
        check_store(store)
        normal = catalog_delta.normal(snapshot)
        Catalog(normal, version=None)  # the form the tills load
    except (CatalogError, ValueError) as exc:
        raise CatalogRefused(str(exc)) from None
    if normal["store"].get("id") != store:
        raise CatalogRefused(f"the snapshot is for store {normal['store'].get('id')!r}, "
                             f"not {store!r}")
    return normal


def latest(store):
    return (CatalogVersion.select().where(CatalogVersion.store == store)
            .order_by(CatalogVersion.version.desc()).first())


def publish(database, store, snapshot):
    """Keep ``snapshot`` as the store's next version, with its delta from the latest; the
    new version's number, or None when the latest version has the same content."""
    normal = check(store, snapshot)
    digest = catalog_delta.digest(normal)
    try:
        # The hub's SQLite begins with the write lock (hub.models.open_database), so a
        # concurrent writer makes this wait, not fail; PostgreSQL's unique key decides.
        with database.atomic():
            last = latest(store)
            if last is not None and last.digest == digest:
                return None
            delta = last and catalog_delta.canonical(
                catalog_delta.diff(json.loads(last.snapshot), normal))
            return CatalogVersion.create(
                store=store, version=last.version + 1 if last else 1, digest=digest,
                snapshot=catalog_delta.canonical(normal), delta=delta).version
    except IntegrityError:
        raise CatalogRefused(f"another version of {store} was published at the same "
                             "moment: publish again") from None


def snapshot_of(store, version):
    """The snapshot of the store's catalog ``version`` (its number as text, as tills report
    it), or None for a version the hub did not publish (e.g. a till's own store file)."""
    number = whole_number(version, MAX_ID) if isinstance(version, str) else None
    if number is None:
        return None
    row = CatalogVersion.get_or_none((CatalogVersion.store == store)
                                     & (CatalogVersion.version == number))
    return json.loads(row.snapshot) if row else None


def oldest_latest():
    """When the store whose latest version is oldest had it made (None: no versions)."""
    newest = (CatalogVersion.select(CatalogVersion.store,
                                    fn.MAX(CatalogVersion.created_at).alias("made"))
              .group_by(CatalogVersion.store))
    made = CatalogVersion.select(fn.MIN(newest.c.made)).from_(newest).scalar()
    # SQLite gives the aggregate back as its text.
    return datetime.datetime.fromisoformat(made) if isinstance(made, str) else made


def unpublished():
    """Versions not yet sent to the tills, oldest first."""
    return list(CatalogVersion.select().where(CatalogVersion.published_at.is_null())
                .order_by(CatalogVersion.store, CatalogVersion.version))


def mark_published(row):
    CatalogVersion.update(published_at=now()).where(CatalogVersion.id == row.id).execute()


def catch_up(store, have=None, digest=None, snapshot=False):
    """What brings a till from version ``have`` (with ``digest``) to the store's latest:
    (kind, base, latest version, JSON text), or None when it has it or there is none.

    One delta from ``have`` straight to the latest, or the snapshot when the till asks for
    it, has no version or one the hub does not know (another digest), or when that delta
    would be no smaller than the snapshot (too far behind).
    """
    last = latest(store)
    if last is None or not snapshot and (have, digest) == (last.version, last.digest):
        return None
    base = None
    if not snapshot and have is not None and have < last.version:
        base = CatalogVersion.get_or_none(store=store, version=have)
    if base is not None and base.digest == digest:
        text = catalog_delta.canonical(
            catalog_delta.diff(json.loads(base.snapshot), json.loads(last.snapshot)))
        if len(text) < len(last.snapshot):
            return "catalog.delta", have, last, text
    return "catalog.snapshot", None, last, last.snapshot
