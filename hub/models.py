"""The hub's store (peewee): SQLite by default, PostgreSQL for a hub that outgrows it.

The models are bound to a database by ``open_database``. They hold what the MQTT ingest
writes: every sale once (keyed by its UUID), the Z reports, what could not be read (dead
letters), each till's presence and alerts (``hub/fleet.py``), and the sale's effects: its
check by re-pricing (``hub/verify.py``), the stock ledger (``hub/stock.py``), loyalty
points and customer statistics (``hub/loyalty.py``). Then the admin app's users, failed
sign-ins and audit log; the catalog (``hub/products.py``); the registry of enrolled tills
and their pairing codes (``hub/registry.py``); and the catalog versions pushed to the
tills (``CatalogVersion``, in ``hub/catalog_versions.py``).

peewee's own JSONField is TEXT on SQLite and JSONB on PostgreSQL; the protocol's integers
are 64-bit, so their columns are BIGINT.
"""
import json

import peewee
from peewee import (
    BigIntegerField,
    BooleanField,
    CharField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    JSONField,
    Model,
    SqliteDatabase,
    TextField,
)
from playhouse.db_url import connect

from shared.times import now

from .catalog_versions import CatalogVersion
from .registry import EnrolledTill, PairingCode


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


class SaleCheck(HubModel):
    """What re-pricing a sale at the hub found (``hub/verify.py``): ok, mismatch (the
    problems say where), unverified or skipped (they say why)."""

    sale = CharField(primary_key=True)  # the sale's UUID
    store = CharField()
    status = CharField(index=True)
    problems = JSONField(default=list)
    checked_at = DateTimeField(default=now)


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
    last_sale_at = CharField(null=True)  # when the latest sale received was completed

    class Meta:
        indexes = ((("store", "till"), True),)


class FleetAlert(HubModel):
    """Something about a till an admin should see (hub/fleet.py), open until cleared."""

    store = CharField()
    till = CharField()
    kind = CharField()  # offline | backlog
    detail = TextField()
    raised_at = DateTimeField(default=now)
    cleared_at = DateTimeField(null=True, index=True)


class StockMovement(HubModel):
    """One line of a store's stock ledger (hub/stock.py): on hand is the sum."""

    KINDS = ("sale", "return", "receipt", "transfer", "adjustment", "stocktake")
    UNITS = ("pcs", "g")

    store = CharField()
    sku = CharField()
    quantity = IntegerField()  # signed: out of stock is negative
    unit = CharField()  # one of UNITS: pieces, or grams of a weighed product
    kind = CharField()  # one of KINDS
    reference = CharField()  # what moved it: a sale's UUID, an order's number...
    line = IntegerField(default=0)  # the position within the reference
    at = CharField()  # ISO 8601, when it happened where it happened

    class Meta:
        indexes = ((("store", "sku"), False), (("reference", "line", "sku"), True))


class LoyaltyEntry(HubModel):
    """Points earned (positive) or taken back (negative) by one sale or refund."""

    customer = CharField(index=True)
    sale = CharField(unique=True)  # the sale's UUID
    store = CharField()
    points = IntegerField()
    at = CharField()


class CustomerStats(HubModel):
    """What the sales say of a customer: visits, money spent net of refunds, when."""

    customer = CharField(primary_key=True)
    visits = IntegerField(default=0)
    refunds = IntegerField(default=0)
    spent = IntegerField(default=0)  # minor units, net of refunds
    points = IntegerField(default=0)
    first_purchase = CharField(null=True)
    last_purchase = CharField(null=True)
    last_store = CharField(null=True)


class User(HubModel):
    """A person who signs in to the hub's admin app (``hub/accounts.py``)."""

    username = CharField(unique=True)
    name = CharField()
    role = CharField()  # admin | store_manager | marketing | viewer
    password_hash = CharField()
    active = BooleanField(default=True)
    created_at = DateTimeField(default=now)


class SignInAttempt(HubModel):
    """A failed sign-in, kept to slow down guessing (``hub/accounts.py``)."""

    username = CharField(index=True)
    address = CharField(index=True)
    at = DateTimeField(default=now, index=True)


class AuditEntry(HubModel):
    """Who changed what on the hub, and when: one row per change, never edited."""

    user = CharField()  # a username, or "system" for the hub's own processes
    action = CharField()
    target = CharField(default="")
    detail = JSONField(default=dict)
    at = DateTimeField(default=now, index=True)


class TaxClass(HubModel):
    """A tax class products belong to; its rates are the pricing contract's."""

    code = CharField(unique=True)
    name = CharField()


class TaxRate(HubModel):
    tax_class = ForeignKeyField(TaxClass, backref="rates", on_delete="CASCADE")
    code = CharField()  # the rate's id in the pricing contract, e.g. vat19
    rate = CharField()  # a percent as the contract writes it, e.g. "19" or "5.5"
    name = CharField()

    class Meta:
        indexes = ((("tax_class", "code"), True),)


class Product(HubModel):
    """A product of the catalog (``hub/products.py``); prices in minor units."""

    sku = CharField(unique=True)
    name = CharField(index=True)
    category = CharField(default="", index=True)
    tags = JSONField(default=list)
    tax_class = CharField()  # a TaxClass code
    sold_by = CharField(default="unit")  # unit | weight
    unit_price = IntegerField()
    member_price = IntegerField(null=True)
    rcn_item = CharField(null=True)  # the item number on a scale's labels
    active = BooleanField(default=True)
    updated_at = DateTimeField(default=now)


class Barcode(HubModel):
    """One of a product's barcodes, in GTIN normal form (``shared/barcodes.py``)."""

    code = CharField(unique=True)
    product = ForeignKeyField(Product, backref="barcodes", on_delete="CASCADE")


MODELS = (Sale, SaleCheck, ZReport, DeadLetter, TillPresence, FleetAlert, StockMovement,
          LoyaltyEntry, CustomerStats, User, SignInAttempt, AuditEntry, TaxClass, TaxRate,
          Product, Barcode, EnrolledTill, PairingCode, CatalogVersion)


# Parameters a statement may have: SQLite's limit (32,766) and PostgreSQL's (65,535), with
# room to spare.
MAX_PARAMETERS = 30_000


def insert_rows(model, rows, skip_conflicts=False, returning=None):
    """Insert ``rows`` (dicts with the same keys) through multi-row statements built once,
    and return how many went in. The ingest writes several rows for each of thousands of
    sales a second, and peewee building each row's SQL anew was most of that cost; a
    statement of many rows is also one round trip to PostgreSQL.
    ``skip_conflicts``: a row that clashes with one already there is left out (ON CONFLICT
    DO NOTHING, the same on SQLite and PostgreSQL). ``returning``: a field; then the list
    of its values in the rows that went in is returned instead (RETURNING)."""
    if not rows:
        return [] if returning is not None else 0
    database = model._meta.database
    given = list(rows[0])
    defaults = [(field.name, field.default) for field in model._meta.sorted_fields
                if field.name not in given and field.default is not None]
    fields = [model._meta.fields[name] for name in (*given, *(name for name, _ in defaults))]
    quoted = [quote(database, name)
              for name in (model._meta.table_name, *(field.column_name for field in fields))]
    # JSON as text: the column's type takes it (peewee would wrap it in a function).
    converters = [_json_text if isinstance(field, JSONField) else field.db_value
                  for field in fields]
    given_converters = list(zip(given, converters, strict=False))
    default_converters = list(zip(defaults, converters[len(given):], strict=True))
    values = []
    for row in rows:
        row_values = [convert(row[name]) for name, convert in given_converters]
        for (_, default), convert in default_converters:
            row_values.append(convert(default() if callable(default) else default))
        values.append(row_values)
    placeholder = f"({', '.join([database.param] * len(fields))})"
    head = f"INSERT INTO {quoted[0]} ({', '.join(quoted[1:])}) VALUES "
    tail = ((" ON CONFLICT DO NOTHING" if skip_conflicts else "")
            + (f" RETURNING {quote(database, returning.column_name)}"
               if returning is not None else ""))
    per_statement = max(1, MAX_PARAMETERS // len(fields))
    cursor = database.cursor()
    count, returned = 0, []
    with peewee.__exception_wrapper__:  # the driver's errors as peewee's, as execute does
        for start in range(0, len(values), per_statement):
            chunk = values[start:start + per_statement]
            cursor.execute(head + ", ".join([placeholder] * len(chunk)) + tail,
                           [value for row_values in chunk for value in row_values])
            if returning is not None:
                returned += [row[0] for row in cursor.fetchall()]
            else:
                count += cursor.rowcount
    return returned if returning is not None else count


def execute_rows(database, sql, rows):
    """Run one statement (``sql``, with ``database.param`` placeholders) for each row of
    parameters, built once; the driver's errors as peewee's."""
    if rows:
        with peewee.__exception_wrapper__:
            database.cursor().executemany(sql, rows)


def quote(database, name):
    """A table's or column's name quoted for ``database``."""
    return f"{database.quote[0]}{name}{database.quote[1]}"


def _json_text(data):
    return None if data is None else json.dumps(data)


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
