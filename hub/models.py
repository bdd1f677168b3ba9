"""The hub's store (peewee): SQLite by default, PostgreSQL for a hub that outgrows it.

The models are bound to a database by ``open_database``; so far they hold what the MQTT
ingest writes: every sale once (keyed by its UUID), the Z reports, what could not be
read (dead letters) and each till's presence; and the catalog versions pushed to the
tills (``CatalogVersion``, in ``hub/catalog_versions.py``).
"""
from peewee import (
    BooleanField,
    CharField,
    DateTimeField,
    IntegerField,
    Model,
    SqliteDatabase,
    TextField,
)
from playhouse.sqlite_ext import JSONField

from shared.times import now

from .catalog_versions import CatalogVersion


class HubModel(Model):
    class Meta:
        database = None
        legacy_table_names = False


class Sale(HubModel):
    """A till's completed sale or refund, applied once: the inbox's key is its UUID."""

    uuid = CharField(primary_key=True)
    store = CharField(index=True)
    till = CharField()
    seq = IntegerField()
    kind = CharField()
    completed_at = CharField()
    customer = CharField(null=True)
    total = IntegerField()
    body = JSONField()
    received_at = DateTimeField(default=now)

    class Meta:
        indexes = ((("store", "till", "seq"), True),)


class ZReport(HubModel):
    store = CharField()
    till = CharField()
    z_number = IntegerField()
    body = JSONField()
    received_at = DateTimeField(default=now)

    class Meta:
        indexes = ((("store", "till", "z_number"), True),)


class DeadLetter(HubModel):
    """A message the ingest could not accept, kept for admins with the reason."""

    topic = TextField()
    payload = TextField()  # as received, decoded as UTF-8 with replacement
    error = TextField()
    received_at = DateTimeField(default=now, index=True)


class TillPresence(HubModel):
    store = CharField()
    till = CharField()
    online = BooleanField(default=False)
    bd_seq = IntegerField(default=0)
    software = CharField(null=True)
    catalog = CharField(null=True)
    backlog = IntegerField(default=0)
    last_seen = DateTimeField(null=True)
    last_sale_seq = IntegerField(default=0)

    class Meta:
        indexes = ((("store", "till"), True),)


MODELS = (Sale, ZReport, DeadLetter, TillPresence, CatalogVersion)


def open_database(url):
    """A SQLite path for now (PostgreSQL comes with the hub's admin app)."""
    database = SqliteDatabase(str(url), pragmas={"journal_mode": "wal", "synchronous": 2,
                                                 "busy_timeout": 5000})
    database.bind(MODELS)
    database.connect(reuse_if_open=True)
    database.create_tables(MODELS)
    database.close()
    return database
