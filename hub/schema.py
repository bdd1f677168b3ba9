"""The hub's schema versions: each change to the tables of version 1 and after (a column,
an index, data to move) comes with a step in ``MIGRATIONS`` (``playhouse.migrate``, on
SQLite and PostgreSQL alike) that brings version n-1 to n, run when a hub process opens
the database. A new table needs no step: missing tables are made each time.

Version 1 is the schema as the models first said it; a database made before the hub kept
versions gets the tables it lacks and counts as version 1. Several hub processes start
together (ingest workers, the catalog server, the admin app): the first to take the
migration lock (SQLite's write lock, a PostgreSQL advisory lock) migrates, and the others
find the work done. A database from a newer hub is refused, not guessed at.

What the models cannot say (the product search's full-text index, ``hub/product_search.py``)
is made like a table, when missing, by the ``derived`` functions ``upgrade`` is given.
"""
from peewee import DateTimeField, IntegerField, Model, PostgresqlDatabase, Value
from playhouse.migrate import PostgresqlMigrator, SqliteMigrator, migrate

from shared.times import now

SCHEMA_VERSION = 6
_LOCK = 0x74696C6C79  # "tilly": the advisory lock migrations hold on PostgreSQL


def _customers_table(database, migrator, migrate):
    """2: customers are the hub's own table (``hub/customers.py``), the source of the
    tills' customers; those the stores' settings held move there. The sales that name a
    customer get an index (their purchase history)."""
    from .customers import adopt_store_customers  # noqa: PLC0415 (it imports the models)

    adopt_store_customers(database)


def _index(database, migrator, migrate, table, columns):
    """The index of ``columns`` on ``table`` as the models name it, unless it is there (the
    models made it, in a database from before versions)."""
    if "_".join((table, *columns)) not in {index.name for index
                                          in database.get_indexes(table)}:
        migrate(migrator.add_index(table, columns))


def _movements_by_store_and_id(database, migrator, migrate):
    """3: a store's movements since its stock checkpoint, found by (store, id)."""
    _index(database, migrator, migrate, "stock_movement", ("store", "id"))


def _report_counts(database, migrator, migrate):
    """5: the reports find the sales received since they last looked by (received_at,
    uuid), not by reading every sale; add up a period's products, of every store or one,
    from indexes that hold their figures; and count the categories apart, from the
    products counted so far. Segments find who bought in a category or store from
    indexes that hold the customers."""
    from .reports import count_categories  # noqa: PLC0415 (it imports the models)

    _index(database, migrator, migrate, "sale", ("received_at", "uuid"))
    for columns in (("day", "store", "sku"), ("store", "day", "sku")):
        _index(database, migrator, migrate, "product_day",
               (*columns, "units", "amount", "returned"))
    count_categories(database)
    # A segment's customers by category or store from an index alone, not its rows.
    existing = {index.name for index in database.get_indexes("customer_spend")}
    for column in ("category", "store"):
        _index(database, migrator, migrate, "customer_spend", (column, "amount", "customer"))
        if f"customer_spend_{column}" in existing:
            migrate(migrator.drop_index("customer_spend", f"customer_spend_{column}"))


def _pairs_by_either_product(database, migrator, migrate):
    """4: a product's pairs found by their second product too (a customer's
    recommendations, ``hub/recommendations.py``), not by reading them all."""
    _index(database, migrator, migrate, "product_pair", ("b",))


def _stats_for_every_customer(database, migrator, migrate):
    """6: every customer has statistics, at nothing bought for those who never bought (a
    segment's rules find them)."""
    from .models import Customer, CustomerStats  # noqa: PLC0415 (they import this module)

    stats = CustomerStats
    counts = [stats.visits, stats.refunds, stats.spent, stats.points]
    stats.insert_from(
        Customer.select(Customer.code, *(Value(0) for _ in counts)).where(
            Customer.code.not_in(stats.select(stats.customer))),
        [stats.customer, *counts]).execute()


# version -> step(database, migrator, migrate): brings version - 1 to version.
MIGRATIONS = {2: _customers_table, 3: _movements_by_store_and_id,
              4: _pairs_by_either_product, 5: _report_counts, 6: _stats_for_every_customer}


class SchemaError(RuntimeError):
    """A database this hub cannot use as it is; the text says why."""


class SchemaVersion(Model):
    version = IntegerField(primary_key=True)
    applied_at = DateTimeField(default=now)

    class Meta:
        database = None
        table_name = "schema_version"


def migrator_for(database):
    if isinstance(database, PostgresqlDatabase):
        return PostgresqlMigrator(database)
    return SqliteMigrator(database)


def upgrade(database, models, derived=()):
    """Bring the database to ``SCHEMA_VERSION``: made from ``models`` when new, each step
    since its version otherwise; then each of ``derived`` (a function of the database)
    makes what it keeps if missing. Returns the versions it applied."""
    SchemaVersion.bind(database)
    with database.atomic():
        # SQLite's transaction began with the write lock (BEGIN IMMEDIATE, see
        # hub.models.open_database); PostgreSQL's takes an advisory lock until it ends.
        if isinstance(database, PostgresqlDatabase):
            database.execute_sql("SELECT pg_advisory_xact_lock(%s)", (_LOCK,))
        database.create_tables([SchemaVersion])
        current = SchemaVersion.select(SchemaVersion.version).order_by(
            SchemaVersion.version.desc()).scalar()
        if current is not None and current > SCHEMA_VERSION:
            raise SchemaError(f"the hub's database has schema version {current}; this hub "
                              f"knows {SCHEMA_VERSION}: update the hub")
        if current is None:  # new, or made before versions: the models' tables as they are
            database.create_tables(models)
            SchemaVersion.create(version=SCHEMA_VERSION)
            for make in derived:
                make(database)
            return [SCHEMA_VERSION]
        applied = list(range(current + 1, SCHEMA_VERSION + 1))
        for version in applied:
            MIGRATIONS[version](database, migrator_for(database), migrate)
            SchemaVersion.create(version=version)
        database.create_tables(models)  # new tables need no step (CREATE ... IF NOT EXISTS)
        for make in derived:
            make(database)
        return applied
