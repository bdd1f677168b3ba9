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

from . import product_search
from .catalog_versions import CatalogVersion
from .registry import EnrolledTill, PairingCode
from .schema import upgrade


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
        # (store, id): a store's movements since its stock checkpoint (hub/stock_checkpoints.py)
        indexes = ((("store", "sku"), False), (("reference", "line", "sku"), True),
                   (("store", "id"), False))


class StockCheckpoint(HubModel):
    """How far a store's stock checkpoint goes: its lines are the sums of the store's
    movements up to and including movement ``through`` (``hub/stock_checkpoints.py``)."""

    store = CharField(unique=True)
    through = BigIntegerField(default=0)
    refreshed_at = DateTimeField(default=now)


class StockCheckpointLine(HubModel):
    """One SKU of a store's checkpoint: the sum of its movements up to the checkpoint."""

    store = CharField()
    sku = CharField()
    quantity = BigIntegerField()

    class Meta:
        indexes = ((("store", "sku"), True), (("store", "quantity"), False))


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


class ApiToken(HubModel):
    """A token an integration sends as ``Authorization: Bearer``; it acts as its user, with
    that user's role (``hub/api_tokens.py``). Only its SHA-256 is kept."""

    user = ForeignKeyField(User, backref="tokens", on_delete="CASCADE")
    name = CharField()
    digest = CharField(unique=True)
    prefix = CharField()  # its first characters, to tell tokens apart on the page
    created_at = DateTimeField(default=now)
    expires_at = DateTimeField(null=True)
    last_used_at = DateTimeField(null=True)
    revoked_at = DateTimeField(null=True)


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


class Store(HubModel):
    """A store its tills sell for (``hub/stores.py``): the header its receipts print, its
    pricing set-up, and the till settings the hub keeps as the store file gave them."""

    code = CharField(unique=True)  # the store id of its tills' topics and catalog
    name = CharField()
    details = JSONField(default=dict)  # the store file's "store" object but id and name
    pricing = JSONField(default=dict)  # tax_mode, tax_rounding, rounding, cash_increment
    till_settings = JSONField(default=dict)  # staff, customers, reasons, denominations...
    updated_at = DateTimeField(default=now)


class StorePrice(HubModel):
    """A product's own prices in one store, over its catalog prices."""

    store = ForeignKeyField(Store, backref="prices", on_delete="CASCADE")
    product = ForeignKeyField(Product, backref="store_prices", on_delete="CASCADE")
    unit_price = IntegerField()
    member_price = IntegerField(null=True)

    class Meta:
        indexes = ((("store", "product"), True),)


class Promotion(HubModel):
    """A promotion of the pricing contract (``hub/promotions.py``), for some stores (none
    listed: every store) from ``starts_at`` until ``ends_at`` (either open)."""

    code = CharField(unique=True)  # the promotion's id in the contract
    name = CharField()
    type = CharField()
    rule = JSONField(default=dict)  # the contract's fields of its type: selector, amounts
    stores = JSONField(default=list)
    starts_at = DateTimeField(null=True, index=True)
    ends_at = DateTimeField(null=True, index=True)
    updated_at = DateTimeField(default=now)


MODELS = (Sale, SaleCheck, ZReport, DeadLetter, TillPresence, FleetAlert, StockMovement,
          LoyaltyEntry, CustomerStats, User, ApiToken, SignInAttempt, AuditEntry, TaxClass,
          TaxRate, Product, Barcode, Store, StorePrice, Promotion, EnrolledTill, PairingCode,
          CatalogVersion)


def insert_rows(model, rows, skip_conflicts=False):
    """Insert ``rows`` (dicts with the same keys) through one statement built once, and
    return how many went in. The ingest writes several rows for each of thousands of
    sales a second, and peewee building each row's SQL anew was most of that cost.
    ``skip_conflicts``: a row that clashes with one already there is left out (ON CONFLICT
    DO NOTHING, the same on SQLite and PostgreSQL)."""
    if not rows:
        return 0
    database = model._meta.database
    given = list(rows[0])
    defaults = {field.name: field.default for field in model._meta.sorted_fields
                if field.name not in given and field.default is not None}
    fields = [model._meta.fields[name] for name in (*given, *defaults)]
    quoted = [f"{database.quote[0]}{name}{database.quote[1]}"
              for name in (model._meta.table_name, *(field.column_name for field in fields))]
    sql = (f"INSERT INTO {quoted[0]} ({', '.join(quoted[1:])}) "
           f"VALUES ({', '.join([database.param] * len(fields))})"
           + (" ON CONFLICT DO NOTHING" if skip_conflicts else ""))
    cursor = database.cursor()
    def value(row, field):
        if field.name in row:
            data = row[field.name]
        else:
            default = defaults[field.name]
            data = default() if callable(default) else default
        # JSON as text: the column's type takes it (peewee would wrap it in a function).
        if isinstance(field, JSONField):
            return None if data is None else json.dumps(data)
        return field.db_value(data)

    with peewee.__exception_wrapper__:  # the driver's errors as peewee's, as execute does
        cursor.executemany(sql, [tuple(value(row, field) for field in fields)
                                 for row in rows])
    return cursor.rowcount


def open_database(url):
    """The hub's store, made or migrated to this hub's schema (``hub/schema.py``):
    ``postgresql://user@host/name`` (psycopg 3), or SQLite: ``sqlite:///path`` or a plain
    path."""
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
    try:
        upgrade(database, MODELS, derived=(product_search.install,))
    finally:
        database.close()
    return database


# -- inventory (hub/inventory.py, hub/purchasing.py): stores are the tills' store ids ---------

class Supplier(HubModel):
    """Who purchase orders go to; the lead time feeds the reorder suggestions."""

    name = CharField(unique=True)
    contact = CharField(default="")
    lead_time_days = IntegerField(default=7)
    created_at = DateTimeField(default=now)


class PurchaseOrder(HubModel):
    """An order to a supplier for one store: draft → sent → partially received →
    received, or cancelled. Its receipts are the ``receipt`` movements it references."""

    STATES = ("draft", "sent", "partially_received", "received", "cancelled")

    supplier = ForeignKeyField(Supplier, backref="orders")
    store = CharField(index=True)
    state = CharField(default="draft", index=True)
    created_by = CharField()
    created_at = DateTimeField(default=now)
    sent_at = DateTimeField(null=True)
    closed_at = DateTimeField(null=True)
    receipts = IntegerField(default=0)  # receipts so far; numbers the next one

    @property
    def number(self):
        return f"PO-{self.id:05d}"


class PurchaseOrderLine(HubModel):
    order = ForeignKeyField(PurchaseOrder, backref="lines", on_delete="CASCADE")
    line = IntegerField()
    sku = CharField()
    unit = CharField()  # the product's stock unit: pcs or g
    quantity = IntegerField()
    unit_cost = IntegerField()  # minor units per piece, or per kg when the unit is g
    received = IntegerField(default=0)

    class Meta:
        indexes = ((("order", "line"), True),)


class StockLevel(HubModel):
    """A SKU managed in a store: below its reorder point it is low; the supplier's lead
    time and the safety stock size the reorder suggestion."""

    store = CharField()
    sku = CharField()
    reorder_point = IntegerField()
    safety_stock = IntegerField(default=0)
    supplier = ForeignKeyField(Supplier, null=True, backref="levels", on_delete="SET NULL")

    class Meta:
        indexes = ((("store", "sku"), True),)


class StockDocument(HubModel):
    """An adjustment or a transfer: what its movements reference (``ADJ-…``, ``TR-…``)."""

    kind = CharField()  # adjustment | transfer
    store = CharField()
    to_store = CharField(null=True)  # a transfer's destination
    reason = CharField(default="")
    by = CharField()
    at = CharField()

    @property
    def number(self):
        return f"{'TR' if self.kind == 'transfer' else 'ADJ'}-{self.id:05d}"


class Stocktake(HubModel):
    """A count of one store's stock, all of it or one category: counting → approved (its
    variances written as ``stocktake`` movements) or cancelled."""

    store = CharField(index=True)
    category = CharField(null=True)  # None: everything
    state = CharField(default="counting")
    started_by = CharField()
    started_at = CharField()  # ISO 8601 like the movements' ``at``
    closed_by = CharField(null=True)
    closed_at = CharField(null=True)


class StocktakeCount(HubModel):
    """What was counted of one SKU, and when; at approval, what the ledger expected."""

    stocktake = ForeignKeyField(Stocktake, backref="counts", on_delete="CASCADE")
    sku = CharField()
    unit = CharField()
    counted = IntegerField()
    counted_by = CharField()
    counted_at = CharField()
    expected = IntegerField(null=True)
    variance = IntegerField(null=True)

    class Meta:
        indexes = ((("stocktake", "sku"), True),)


MODELS = (*MODELS, Supplier, PurchaseOrder, PurchaseOrderLine, StockLevel, StockDocument,
          Stocktake, StocktakeCount, StockCheckpoint, StockCheckpointLine)
