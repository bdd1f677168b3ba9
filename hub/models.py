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
        # (received_at, uuid): the reports find the sales received since they last looked.
        indexes = ((("store", "till", "seq"), True), (("received_at", "uuid"), False))


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


class LoyaltyProgram(HubModel):
    """How points are earned and kept (``hub/loyalty_program.py``); one row."""

    minor_per_point = IntegerField(default=100)  # 100: a point per 1.00 paid
    expiry_days = IntegerField(default=0)  # points expire this long after earned; 0: never
    redeem_value = IntegerField(default=0)  # minor units a point pays at a till; 0: none
    tiers = JSONField(default=list)  # [{"name", "min_spent", "multiplier"}], lowest first
    bonuses = JSONField(default=list)  # [{"category", "multiplier"}]
    updated_by = CharField(default="system")
    updated_at = DateTimeField(default=now)


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


class ReportedSale(HubModel):
    """A sale already counted in the report tables below (``hub/reports.py``)."""

    sale = CharField(primary_key=True)  # the sale's UUID


class ReportFrontier(HubModel):
    """One row: the newest sale counted in the reports was received at ``received_at``, and
    a refresh last ended at ``refreshed_at`` (``hub/reports.py``)."""

    received_at = DateTimeField()
    refreshed_at = DateTimeField(default=now)


class CustomerFigures(HubModel):
    """One row: the customer figures (``hub/reports.customers``) as the last refresh of the
    reports counted them, so the reports page does not read every customer's statistics
    each time it is shown."""

    figures = JSONField()


class SalesHour(HubModel):
    """Sales and refunds of one store, till and cashier in one hour (UTC): what the
    reports add up instead of reading every sale."""

    day = CharField()  # YYYY-MM-DD
    hour = IntegerField()
    store = CharField()
    till = CharField()
    cashier = CharField()
    sales = IntegerField(default=0)
    refunds = IntegerField(default=0)
    sold = BigIntegerField(default=0)  # the sales' totals, tax included (minor units)
    refunded = BigIntegerField(default=0)
    tax = BigIntegerField(default=0)  # net of refunds

    class Meta:
        indexes = ((("day", "hour", "store", "till", "cashier"), True),)


class ProductDay(HubModel):
    """One product's units and line amounts (after discounts) in one store on one day."""

    day = CharField()
    store = CharField()
    sku = CharField()
    units = BigIntegerField(default=0)  # pieces, or grams of a weighed product; net of returns
    amount = BigIntegerField(default=0)  # line nets, net of returns
    returned = BigIntegerField(default=0)  # the units returned

    class Meta:
        # The others hold what a report adds up: a period's days are read from an index
        # alone (on SQLite in half the time of the rows), of every store or of one.
        indexes = ((("day", "store", "sku"), True),
                   (("day", "store", "sku", "units", "amount", "returned"), False),
                   (("store", "day", "sku", "units", "amount", "returned"), False))


class CategoryDay(HubModel):
    """One category's units and line amounts in one store on one day, the product's
    category when the sale was counted: a period's categories without adding up every
    product's days."""

    day = CharField()
    store = CharField()
    category = CharField()  # "" for none, or a product the catalog does not know
    units = BigIntegerField(default=0)
    amount = BigIntegerField(default=0)

    class Meta:
        indexes = ((("day", "store", "category"), True),)


class TaxDay(HubModel):
    day = CharField()
    store = CharField()
    rate = CharField()  # the tax rate's id
    amount = BigIntegerField(default=0)  # net of refunds

    class Meta:
        indexes = ((("day", "store", "rate"), True),)


class Voucher(HubModel):
    """A gift voucher (``hub/tenders.py``): its balance is the sum of its ledger entries,
    kept in the row so a redemption is one conditional UPDATE that never overdraws."""

    code = CharField(unique=True)  # unguessable, printed on the voucher
    issued = BigIntegerField()  # minor units
    balance = BigIntegerField(constraints=[peewee.Check("balance >= 0")])
    expires = CharField(null=True)  # an ISO date: valid through that day
    status = CharField(default="active")  # active | void
    note = CharField(default="")
    issued_by = CharField()
    issued_at = DateTimeField(default=now)


class StoreCredit(HubModel):
    """A customer's store credit (the customer id the tills send)."""

    customer = CharField(primary_key=True)
    balance = BigIntegerField(default=0, constraints=[peewee.Check("balance >= 0")])


class TenderEntry(HubModel):
    """One change to a voucher's or a store credit's balance: issue, redeem, release,
    refund, adjustment. ``balance`` is the account's after it; ``reference`` what made it
    (a request's or a sale's UUID, an admin's change), unique per account and kind."""

    tender = CharField()  # voucher | store_credit
    account = CharField()  # the voucher's code, or the customer's id
    kind = CharField()  # issue | redeem | release | refund | adjustment | void
    amount = BigIntegerField()  # signed: what it adds to the balance
    balance = BigIntegerField()
    reference = CharField()
    store = CharField(null=True)
    till = CharField(null=True)
    note = CharField(default="")
    by = CharField(default="")
    at = DateTimeField(default=now)

    class Meta:
        indexes = ((("tender", "account", "id"), False),
                   (("tender", "account", "kind", "reference"), True))


class TenderRequest(HubModel):
    """A till's request to take money off a voucher or store credit, answered once: the
    same request again gets ``reply`` again. A release that comes before its request
    leaves a tombstone (state released, never approved), so the request is refused."""

    request = CharField(primary_key=True)  # the till's UUID
    store = CharField()
    till = CharField()
    tender = CharField()
    account = CharField()
    amount = BigIntegerField()
    sale = CharField(default="")
    state = CharField()  # approved | refused | released (after approval) | tombstone
    reply = JSONField(null=True)
    at = DateTimeField(default=now)


class ProductPair(HubModel):
    """How many sales had both products (``a`` < ``b``): "frequently bought together". A
    product's pairs are found by either side, so each has an index."""

    a = CharField()
    b = CharField()
    count = IntegerField(default=0)

    class Meta:
        indexes = ((("a", "b"), True), (("b",), False), (("count",), False))


class CustomerSpend(HubModel):
    """What a customer bought in one store and category (net of refunds): what segments
    ask of "bought dairy" or "shops at store-2" (``hub/segments.py``)."""

    customer = CharField()
    store = CharField()
    category = CharField()
    amount = BigIntegerField(default=0)

    class Meta:
        # A segment's "bought in category/store" reads the customers from an index alone.
        indexes = ((("customer", "store", "category"), True),
                   (("category", "amount", "customer"), False),
                   (("store", "amount", "customer"), False))


class RfmScore(HubModel):
    """A customer's recency, frequency and monetary scores (1-5, quintiles of all
    customers) and the segment they make, as last computed (``hub/segments.py``)."""

    customer = CharField(primary_key=True)
    recency = IntegerField()
    frequency = IntegerField()
    monetary = IntegerField()
    label = CharField(index=True)


class Segment(HubModel):
    """A named set of customers by rules (``hub/segments.py``), counted live."""

    name = CharField(unique=True)
    rules = JSONField(default=dict)
    updated_by = CharField()
    updated_at = DateTimeField(default=now)


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
          CatalogVersion, ReportedSale, ReportFrontier, CustomerFigures, SalesHour, ProductDay,
          CategoryDay, TaxDay, ProductPair,
          CustomerSpend, RfmScore, Segment, Voucher, StoreCredit, TenderEntry, TenderRequest,
          LoyaltyProgram)


# Parameters a statement may have: SQLite's limit (32,766) and PostgreSQL's (65,535), with
# room to spare.
MAX_PARAMETERS = 30_000


def insert_rows(model, rows, skip_conflicts=False, returning=None, add_on=None):
    """Insert ``rows`` (dicts with the same keys) through multi-row statements built once,
    and return how many went in. The ingest writes several rows for each of thousands of
    sales a second, and peewee building each row's SQL anew was most of that cost; a
    statement of many rows is also one round trip to PostgreSQL.
    ``skip_conflicts``: a row that clashes with one already there is left out (ON CONFLICT
    DO NOTHING, the same on SQLite and PostgreSQL). ``add_on``: the names of the fields of
    a unique index; a row that clashes there adds its other given fields to the row
    already there (a total kept up to date); on PostgreSQL those rows go as one JSON
    parameter, as psycopg reads a statement's text in Python, about 10 µs a placeholder,
    and the reports' totals are millions of values. ``returning``: a field; then the list
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
    head = f"INSERT INTO {quoted[0]} ({', '.join(quoted[1:])}) "
    if add_on and isinstance(database, peewee.PostgresqlDatabase):
        columns = [field.column_name for field in fields]
        with peewee.__exception_wrapper__:
            return database.cursor().execute(
                f"{head}SELECT {', '.join(quoted[1:])} FROM json_populate_recordset("
                f"NULL::{quoted[0]}, %s){_adding(model, quoted[0], given, add_on)}",
                [json.dumps([dict(zip(columns, row_values, strict=True))
                             for row_values in values], default=str)]).rowcount
    placeholder = f"({', '.join([database.param] * len(fields))})"
    head += "VALUES "
    tail = ((" ON CONFLICT DO NOTHING" if skip_conflicts else "")
            + (_adding(model, quoted[0], given, add_on) if add_on else "")
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


def _adding(model, table, given, keys):
    """The ON CONFLICT clause of ``insert_rows(add_on=keys)``."""
    column = {name: quote(model._meta.database, model._meta.fields[name].column_name)
              for name in given}
    return (f" ON CONFLICT ({', '.join(column[name] for name in keys)}) DO UPDATE SET "
            + ", ".join(f"{column[name]} = {table}.{column[name]} + excluded.{column[name]}"
                        for name in given if name not in keys))


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


# -- customers (hub/customers.py): the source of the ids and cards the tills know -------------

class Customer(HubModel):
    """A customer: contact details, marketing consent, a loyalty card. ``code`` is the id a
    till puts in a sale's ``customer`` (e.g. C0001). The ``*_key`` columns are the fields
    normalised for search and duplicate suggestions. An erased customer keeps the row
    (its sales figures stay theirs) with every personal field blanked."""

    code = CharField(unique=True)
    name = CharField(default="")
    email = CharField(default="")
    phone = CharField(default="")
    address = TextField(default="")
    postcode = CharField(default="")
    card = CharField(null=True, unique=True)
    member = BooleanField(default=True)  # member prices at the tills
    email_marketing = BooleanField(default=False)
    email_marketing_at = DateTimeField(null=True)  # when it was last given or withdrawn
    sms_marketing = BooleanField(default=False)
    sms_marketing_at = DateTimeField(null=True)
    name_key = CharField(default="", index=True)
    email_key = CharField(default="", index=True)
    phone_key = CharField(default="", index=True)
    postcode_key = CharField(default="", index=True)
    created_at = DateTimeField(default=now)
    updated_at = DateTimeField(default=now, index=True)
    erased_at = DateTimeField(null=True)


class CustomerAlias(HubModel):
    """A customer merged into another: sales that still name its id (or its card, at a
    till with an older catalog) count for the survivor."""

    code = CharField(primary_key=True)
    card = CharField(null=True, unique=True)
    customer = ForeignKeyField(Customer, backref="aliases", on_delete="CASCADE")
    merged_at = DateTimeField(default=now)


class ConsentChange(HubModel):
    """Marketing consent given or withdrawn: the proof of when, by whom and how."""

    customer = ForeignKeyField(Customer, backref="consent_changes", on_delete="CASCADE")
    channel = CharField()  # email | sms
    given = BooleanField()
    at = DateTimeField(default=now)
    by = CharField()
    source = CharField(default="")  # hub form, store file, merge, erasure


class _Entry(HubModel):
    """Something written down: what kind, the text, who wrote it and when it happened."""

    kind = CharField()
    text = TextField()
    by = CharField()
    at = DateTimeField(default=now, index=True)


class Interaction(_Entry):
    """A note, call or email with a customer, with who logged it and when it happened."""

    KINDS = ("note", "call", "email")

    customer = ForeignKeyField(Customer, backref="interactions", on_delete="CASCADE")


class Ticket(HubModel):
    """A support case: open → waiting (for the customer) → resolved, reopened if need be.
    The first response and resolution times are measured from ``opened_at``."""

    STATUSES = ("open", "waiting", "resolved")

    customer = ForeignKeyField(Customer, backref="tickets", on_delete="CASCADE")
    subject = CharField()
    status = CharField(default="open", index=True)
    opened_by = CharField()
    opened_at = DateTimeField(default=now)
    first_response_at = DateTimeField(null=True)
    resolved_at = DateTimeField(null=True)


class TicketEntry(_Entry):
    """What was said on a ticket: the customer's request, replies, internal notes."""

    KINDS = ("request", "reply", "note")

    ticket = ForeignKeyField(Ticket, backref="entries", on_delete="CASCADE")


class NotDuplicate(HubModel):
    """Two customers an admin found to be different people: no longer suggested."""

    first = ForeignKeyField(Customer, on_delete="CASCADE")
    second = ForeignKeyField(Customer, on_delete="CASCADE")
    by = CharField()
    at = DateTimeField(default=now)

    class Meta:
        indexes = ((("first", "second"), True),)


# A customer's purchase history is their sales: an index of the sales that name one.
Sale.add_index(Sale.index(Sale.customer, Sale.completed_at, name="sale_customer")
               .where(Sale.customer.is_null(False)))

class CatalogErasure(HubModel):
    """An id an erased customer had (theirs, or one merged into them) still to be blanked in
    the catalog versions the hub keeps (``hub/erasure.py``)."""

    code = CharField(primary_key=True)
    erased_at = DateTimeField(default=now)
    done_at = DateTimeField(null=True, index=True)


MODELS = (*MODELS, Customer, CustomerAlias, ConsentChange, Interaction, Ticket, TicketEntry,
          NotDuplicate, CatalogErasure)


class Campaign(HubModel):
    """A marketing campaign (``hub/campaigns.py``): a segment's customers, each sent a
    unique coupon code for the campaign's promotion, a random holdout group sent nothing,
    so what the campaign brought can be told from what would have happened anyway."""

    STATUSES = ("draft", "sending", "sent")

    name = CharField(unique=True)
    prefix = CharField(unique=True)  # its codes' prefix, and its promotion's coupon
    key = CharField()  # the codes' secret (hex), sent to the tills in the catalog
    segment = ForeignKeyField(Segment, null=True, on_delete="SET NULL")
    segment_name = CharField()  # as it was when the codes were issued
    promotion = ForeignKeyField(Promotion, unique=True)
    holdout_percent = IntegerField(default=10)
    cost = BigIntegerField(default=0)  # minor units: what it costs besides the discounts
    subject = CharField()
    message = TextField()  # with {name} and {code}
    status = CharField(default="draft")
    targeted = IntegerField(default=0)  # customers sent a code
    held_out = IntegerField(default=0)
    unreachable = IntegerField(default=0)  # in the segment, with no email or no consent
    # What each group has spent since the launch (net of refunds), kept by the ingest.
    target_spent = BigIntegerField(default=0)
    holdout_spent = BigIntegerField(default=0)
    created_by = CharField()
    created_at = DateTimeField(default=now)
    launched_at = DateTimeField(null=True)


class CampaignRecipient(HubModel):
    """A customer of a launched campaign: in the holdout group, or sent code ``serial``."""

    MAIL = ("pending", "sent", "failed", "skipped", "held_out")

    campaign = ForeignKeyField(Campaign, backref="recipients", on_delete="CASCADE")
    customer = CharField()
    holdout = BooleanField(default=False)
    serial = IntegerField(null=True)
    code = CharField(null=True, unique=True)
    mail = CharField(default="pending")
    mail_error = CharField(default="")
    mailed_at = DateTimeField(null=True)
    spent = BigIntegerField(default=0)  # since the launch, net of refunds (the ingest's)
    purchases = IntegerField(default=0)

    class Meta:
        indexes = ((("campaign", "mail"), False), (("campaign", "customer"), True),
                   (("customer",), False))


class CouponRedemption(HubModel):
    """A campaign code on a sale that reached the hub, with what that sale brought; a code
    on several sales (tills offline at once) is counted once, the others flagged."""

    sale = CharField()  # its UUID
    code = CharField(index=True)
    campaign = ForeignKeyField(Campaign, backref="redemptions", on_delete="CASCADE")
    recipient = ForeignKeyField(CampaignRecipient, null=True, on_delete="SET NULL")
    customer = CharField(null=True)  # the sale's customer, if the till named one
    store = CharField()
    till = CharField()
    total = BigIntegerField()
    discount = BigIntegerField(default=0)  # what the campaign's promotion took off
    at = CharField()  # when the sale was completed

    class Meta:
        indexes = ((("sale", "code"), True),)


class MailSettings(HubModel):
    """The SMTP server campaigns are sent through (one row)."""

    SECURITY = ("starttls", "tls", "none")

    host = CharField(default="")
    port = IntegerField(default=587)
    security = CharField(default="starttls")
    username = CharField(default="")
    password = CharField(default="")
    sender = CharField(default="")  # the From address
    updated_by = CharField(default="system")
    updated_at = DateTimeField(default=now)


MODELS = (*MODELS, Campaign, CampaignRecipient, CouponRedemption, MailSettings)
