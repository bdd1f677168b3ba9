"""The hub's store (peewee): SQLite by default, PostgreSQL for a hub that outgrows it.

The models are bound to a database by ``open_database``; so far they hold what the MQTT
ingest writes: every sale once (keyed by its UUID), the Z reports, what could not be
read (dead letters) and each till's presence. peewee's own JSONField is TEXT on SQLite and
JSONB on PostgreSQL; the protocol's integers are 64-bit, so their columns are BIGINT.
"""
from peewee import (
    BigIntegerField,
    BooleanField,
    CharField,
    DateTimeField,
    JSONField,
    Model,
    SqliteDatabase,
    TextField,
)
from playhouse.db_url import connect

from shared.times import now


class HubModel(Model):
    class Meta:
        database = None
        legacy_table_names = False


class Sale(HubModel):
    """A till's completed sale or refund, applied once: the inbox's key is its UUID."""

    uuid = CharField(primary_key=True)
    store = CharField(index=True)
    till = CharField()
    seq = BigIntegerField()
    kind = CharField()
    completed_at = CharField()
    customer = CharField(null=True)
    total = BigIntegerField()
    body = JSONField()
    received_at = DateTimeField(default=now)

    class Meta:
        indexes = ((("store", "till", "seq"), True),)


class ZReport(HubModel):
    store = CharField()
    till = CharField()
    z_number = BigIntegerField()
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
    bd_seq = BigIntegerField(default=0)
    software = CharField(null=True)
    catalog = CharField(null=True)
    backlog = BigIntegerField(default=0)
    last_seen = DateTimeField(null=True)
    last_sale_seq = BigIntegerField(default=0)

    class Meta:
        indexes = ((("store", "till"), True),)


MODELS = (Sale, ZReport, DeadLetter, TillPresence)


def open_database(url):
    """The hub's store, its tables created if need be: ``postgresql://user@host/name``
    (psycopg 3), or SQLite: ``sqlite:///path`` or a plain path."""
    url = str(url)
    scheme = url.partition("://")[0] if "://" in url else "sqlite"
    if scheme in ("postgresql", "postgres"):
        database = connect(url, unquote_user=True, unquote_password=True,
                           prefer_psycopg3=True)
    elif scheme == "sqlite":
        # BEGIN IMMEDIATE: workers side by side wait for each other's commits.
        database = SqliteDatabase(url.removeprefix("sqlite:///"), lock_type="IMMEDIATE",
                                  pragmas={"journal_mode": "wal", "synchronous": 2,
                                           "busy_timeout": 5000})
    else:
        raise ValueError(f"hub database {url!r}: a SQLite path, sqlite:///path or "
                         "postgresql://user@host/name")
    database.bind(MODELS)
    database.connect(reuse_if_open=True)
    database.create_tables(MODELS)
    database.close()
    return database
