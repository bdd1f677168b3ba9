"""The till's journal schema (peewee on SQLite): the record of every sale until the hub
acknowledges it.

WAL with ``synchronous=FULL``: a committed transaction survives power loss and ``kill -9``.
A till is one process with one journal, so the models are bound to it by ``open_database``.
"""
import uuid

from peewee import (
    BooleanField,
    CharField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    Model,
    SqliteDatabase,
)
from playhouse.migrate import SqliteMigrator, migrate
from playhouse.sqlite_ext import JSONField

from shared.times import now

PRAGMAS = {
    "journal_mode": "wal",
    "synchronous": 2,  # FULL: fsync the WAL on every commit
    "foreign_keys": 1,
    "busy_timeout": 5000,
}


class JournalModel(Model):
    class Meta:
        database = None
        legacy_table_names = False


class Counter(JournalModel):
    """Sequences that are never reused: sale numbers, Z numbers."""

    name = CharField(primary_key=True)
    value = IntegerField(default=0)


class CashSession(JournalModel):
    number = IntegerField(unique=True)
    opened_at = DateTimeField(default=now)
    opened_by = CharField()
    float_amount = IntegerField()
    closed_at = DateTimeField(null=True)
    closed_by = CharField(null=True)
    z_number = IntegerField(null=True, unique=True)
    counted = JSONField(null=True)  # {denomination: count}
    report = JSONField(null=True)


class CashMovement(JournalModel):
    """Cash in or out of the drawer outside a sale, and drawer openings with no sale."""

    session = ForeignKeyField(CashSession, backref="movements")
    kind = CharField()  # paid_in | paid_out | no_sale
    amount = IntegerField(default=0)
    reason = CharField()
    staff = CharField()
    approver = CharField(null=True)
    at = DateTimeField(default=now)


class Sale(JournalModel):
    uuid = CharField(primary_key=True, default=lambda: str(uuid.uuid4()))
    seq = IntegerField(unique=True)
    till = CharField()
    kind = CharField(default="sale")  # sale | refund
    state = CharField(default="open", index=True)  # open | parked | completed | voided
    cashier = CharField()
    customer = CharField(null=True)
    coupons = JSONField(default=list)
    original = CharField(null=True)  # the sale a refund returns
    session = ForeignKeyField(CashSession, null=True, backref="sales")
    opened_at = DateTimeField(default=now)
    completed_at = DateTimeField(null=True)
    result = JSONField(null=True)  # the priced basket at completion
    # A supervisor's discount on the whole sale: {"percent": "10"} or {"amount_off": 500}.
    manual_discount = JSONField(null=True)
    rounding = IntegerField(default=0)  # cash rounding on the amount due
    change = IntegerField(default=0)
    receipt_pending = BooleanField(default=False)


class SaleCoupon(JournalModel):
    """The codes on each sale (``Sale.coupons``), indexed: whether a campaign code was used
    at this till before is one index lookup, however long the journal grows."""

    sale = ForeignKeyField(Sale, backref="coupon_rows", on_delete="CASCADE")
    code = CharField(index=True)


class SaleLine(JournalModel):
    sale = ForeignKeyField(Sale, backref="lines", on_delete="CASCADE")
    position = IntegerField()  # the pricing engine's line number, in scan order
    sku = CharField()
    name = CharField()
    barcode = CharField(null=True)
    qty = IntegerField(null=True)
    weight_g = IntegerField(null=True)
    unit_price = IntegerField()
    price_override = IntegerField(null=True)
    # What pricing needs, as it was at the scan: a catalog update never reprices a line's
    # product under the sale's feet, only its promotions.
    member_price = IntegerField(null=True)
    tax_class = CharField()
    tags = JSONField(default=list)
    voided = BooleanField(default=False)
    # A refund line: the line of the original sale it returns, and the amount it refunds.
    original_line = IntegerField(null=True)
    refund_amount = IntegerField(null=True)
    refund_taxes = JSONField(null=True)  # {rate id: tax refunded}

    class Meta:
        indexes = ((("sale", "position"), True),)


class Payment(JournalModel):
    sale = ForeignKeyField(Sale, backref="payments", on_delete="CASCADE")
    type = CharField()  # cash | card | voucher | store_credit
    amount = IntegerField()  # applied to the sale; negative for refunds
    tendered = IntegerField(null=True)  # cash handed over
    reference = CharField(null=True)
    auth_code = CharField(null=True)
    label = CharField(null=True)  # "Visa ••1234"
    # A voucher's code or the customer's id (store credit): what the hub took it off, or
    # credits when the payment is negative (a refund).
    account = CharField(null=True)
    created_at = DateTimeField(default=now)


class CardAttempt(JournalModel):
    """A charge or refund sent to the card terminal. Written "pending" before the call, so
    a timeout or a crash mid-call leaves "unknown": the customer may have been charged, and
    nothing else happens on the sale until a supervisor says whether the card was."""

    sale = ForeignKeyField(Sale, backref="card_attempts", on_delete="CASCADE")
    kind = CharField()  # charge | refund
    amount = IntegerField()  # minor units, > 0
    reference = CharField()  # the till's reference sent to the terminal
    original_reference = CharField(null=True)  # a refund: the charge it refunds
    label = CharField(null=True)  # a refund: the card's label, for the payment it makes
    # pending | unknown, then approved | declined | error | went_through | did_not_go_through
    state = CharField(default="pending", index=True)
    message = CharField(default="")
    created_at = DateTimeField(default=now)


class TenderAttempt(JournalModel):
    """A voucher or store credit asked of the hub (``edge/tenders.py``). Written "pending"
    before the request, so a crash or a timeout leaves a trace: it is then released
    through the outbox (a ``tender.release``), and the hub takes back what it took."""

    sale = ForeignKeyField(Sale, backref="tender_attempts", on_delete="CASCADE")
    tender = CharField()  # voucher | store_credit
    account = CharField()  # the voucher's code, or the customer's id
    amount = IntegerField()  # minor units, > 0
    request = CharField(unique=True)  # the request's UUID, the payment's reference
    state = CharField(default="pending", index=True)  # pending | approved | refused | released
    message = CharField(default="")
    created_at = DateTimeField(default=now)


class Outbox(JournalModel):
    """Messages for the hub, written in the same transaction as what they report; ``kind``
    names the message (``sale.completed``), the MQTT link maps it to a topic. Two marks:
    ``sent_at`` when the broker acknowledged it (PUBACK), ``confirmed_at`` when the hub's
    ack said it was applied; until then it is sent again (edge/publisher.py)."""

    kind = CharField()
    payload = JSONField()
    created_at = DateTimeField(default=now)
    sent_at = DateTimeField(null=True, index=True)
    confirmed_at = DateTimeField(null=True)

    class Meta:
        # What the publisher looks for: the unconfirmed rows, oldest first.
        indexes = ((("confirmed_at", "id"), False),)


class Audit(JournalModel):
    at = DateTimeField(default=now)
    action = CharField(index=True)
    staff = CharField(null=True)
    approver = CharField(null=True)
    sale = CharField(null=True)
    detail = JSONField(default=dict)


MODELS = (Counter, CashSession, CashMovement, Sale, SaleLine, Payment, CardAttempt, Outbox,
          Audit, TenderAttempt, SaleCoupon)


# The journal's schema version, kept in SQLite's user_version. A change to the models above
# comes with a step in MIGRATIONS (playhouse.migrate) that brings version n-1 to n.
SCHEMA_VERSION = 5


def _hub_confirmation(database):
    """3: the outbox's ``confirmed_at``. Rows sent before were the broker's to deliver
    under versions 1 and 2, so they count as confirmed (sending a year of them again would
    only make duplicates)."""
    migrator = SqliteMigrator(database)
    migrate(migrator.add_column("outbox", "confirmed_at", DateTimeField(null=True)),
            migrator.add_index("outbox", ("confirmed_at", "id")))
    Outbox.update(confirmed_at=Outbox.sent_at).execute()


def _tenders(database):
    """4: vouchers and store credit, checked with the hub: the payment's account, and the
    requests asked of the hub."""
    migrate(SqliteMigrator(database).add_column("payment", "account",
                                                CharField(null=True)))
    database.create_tables([TenderAttempt])


def _coupon_index(database):
    """5: the index of the codes on sales, filled from the sales' own lists."""
    database.create_tables([SaleCoupon])
    database.execute_sql("INSERT INTO sale_coupon (sale_id, code) SELECT sale.uuid, "
                         "coupon.value FROM sale, json_each(sale.coupons) AS coupon "
                         "WHERE json_valid(sale.coupons)")


MIGRATIONS = {2: lambda database: database.create_tables([CardAttempt]),
              3: _hub_confirmation, 4: _tenders, 5: _coupon_index}


class SchemaError(RuntimeError):
    """A journal written by a newer Tilly: refusing it is safer than guessing."""


def open_database(path):
    """Open (creating if needed) the journal at ``path``, migrate it, bind the models."""
    # BEGIN IMMEDIATE: the link's thread writes too (PUBACKs, the hub's acks), and a
    # deferred transaction that read before writing would fail as "database is locked".
    database = SqliteDatabase(str(path), pragmas=PRAGMAS, lock_type="IMMEDIATE")
    database.bind(MODELS)
    database.connect(reuse_if_open=True)
    with database.atomic():
        version = database.execute_sql("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise SchemaError(f"journal {path} has schema {version}; this till knows "
                              f"{SCHEMA_VERSION}: update the till")
        if version == 0:  # a new journal: made as this version's models say
            database.create_tables(MODELS)
            version = SCHEMA_VERSION
        for step in range(version + 1, SCHEMA_VERSION + 1):
            MIGRATIONS[step](database)
        database.execute_sql(f"PRAGMA user_version = {SCHEMA_VERSION}")
    database.close()
    return database
