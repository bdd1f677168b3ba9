"""The hub's schema versions on SQLite and PostgreSQL: a new database at this version, a
step of playhouse.migrate applied once, a database from before versions completed, one
from a newer hub refused, and hub processes starting together on a new database."""
import subprocess
import sys

import pytest
from peewee import CharField

from hub import schema
from hub.models import (
    MODELS,
    CategoryDay,
    Customer,
    CustomerStats,
    Product,
    ProductDay,
    Store,
    StorePrice,
    open_database,
)
from hub.schema import SchemaError, SchemaVersion, upgrade
from tests.broker import ROOT
from tests.postgres import scratch_database


def versions():
    return [row.version for row in SchemaVersion.select().order_by(SchemaVersion.version)]


def columns(database, table):
    return {column.name for column in database.get_columns(table)}


def test_a_new_database_is_made_at_this_version_and_left_be_after(hub_db):
    assert versions() == [schema.SCHEMA_VERSION]
    assert upgrade(hub_db, MODELS) == []
    assert versions() == [schema.SCHEMA_VERSION]


def test_a_step_is_applied_once_with_the_data_kept(hub_db, monkeypatch):
    Store.create(code="north", name="North")

    def add_region(database, migrator, migrate):
        migrate(migrator.add_column("store", "region", CharField(default="")))

    monkeypatch.setattr(schema, "SCHEMA_VERSION", schema.SCHEMA_VERSION + 1)
    monkeypatch.setitem(schema.MIGRATIONS, schema.SCHEMA_VERSION, add_region)
    assert upgrade(hub_db, MODELS) == [schema.SCHEMA_VERSION]
    assert "region" in columns(hub_db, "store")
    assert hub_db.execute_sql("SELECT code, region FROM store").fetchall() == [("north", "")]
    assert upgrade(hub_db, MODELS) == []
    assert versions() == [schema.SCHEMA_VERSION - 1, schema.SCHEMA_VERSION]


def test_a_database_from_before_versions_gets_what_it_lacks(hub_db):
    hub_db.drop_tables([SchemaVersion, StorePrice, Store])
    assert upgrade(hub_db, MODELS) == [schema.SCHEMA_VERSION]
    assert {"store", "store_price"} <= set(hub_db.get_tables())


def test_version_5_counts_the_categories_and_indexes_what_reports_and_segments_add_up(
        hub_db):
    Product.create(sku="MILK", name="Milk", category="Dairy", tax_class="zero",
                   unit_price=100)
    for sku, amount in (("MILK", 300), ("MILK", 50), ("WINE", 800)):
        ProductDay.insert(day="2026-11-25", store=f"S-{amount}" if amount == 50 else "S",
                          sku=sku, units=1, amount=amount).execute()
    hub_db.drop_tables([CategoryDay])
    hub_db.execute_sql("DROP INDEX sale_received_at_uuid")
    hub_db.execute_sql("DROP INDEX product_day_store_day_sku_units_amount_returned")
    hub_db.execute_sql("DROP INDEX customer_spend_category_amount_customer")
    hub_db.execute_sql("CREATE INDEX customer_spend_category ON customer_spend (category)")
    SchemaVersion.delete().execute()
    SchemaVersion.create(version=4)
    assert upgrade(hub_db, MODELS) == list(range(5, schema.SCHEMA_VERSION + 1))
    assert "sale_received_at_uuid" in {index.name for index in hub_db.get_indexes("sale")}
    assert "product_day_store_day_sku_units_amount_returned" in {
        index.name for index in hub_db.get_indexes("product_day")}
    spend = {index.name for index in hub_db.get_indexes("customer_spend")}
    assert "customer_spend_category_amount_customer" in spend
    assert "customer_spend_category" not in spend  # the covering one does its work
    assert sorted(CategoryDay.select(CategoryDay.store, CategoryDay.category,
                                     CategoryDay.amount).tuples()) == [
        ("S", "", 800), ("S", "Dairy", 300), ("S-50", "Dairy", 50)]


def test_version_6_gives_the_customers_who_never_bought_their_statistics(hub_db):
    for code in ("C1", "C2", "C3"):
        Customer.create(code=code, name=code)
    CustomerStats.create(customer="C2", visits=4, spent=900, last_purchase="2026-11-01")
    CustomerStats.delete().where(CustomerStats.customer != "C2").execute()
    SchemaVersion.delete().execute()
    SchemaVersion.create(version=5)
    assert upgrade(hub_db, MODELS) == list(range(6, schema.SCHEMA_VERSION + 1))
    assert sorted(CustomerStats.select(CustomerStats.customer, CustomerStats.visits,
                                       CustomerStats.spent).tuples()) == [
        ("C1", 0, 0), ("C2", 4, 900), ("C3", 0, 0)]


def test_a_database_from_a_newer_hub_is_refused(hub_db):
    SchemaVersion.create(version=schema.SCHEMA_VERSION + 1)
    with pytest.raises(SchemaError, match="update the hub"):
        upgrade(hub_db, MODELS)


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_hub_processes_starting_together_make_the_database_once(kind, tmp_path):
    def start_three(url):
        processes = [subprocess.Popen(
            [sys.executable, "-c", "import sys; from hub.models import open_database; "
             "open_database(sys.argv[1])", url], cwd=ROOT, stderr=subprocess.PIPE)
            for _ in range(3)]
        errors = [process.communicate(timeout=60)[1] for process in processes]
        assert [process.returncode for process in processes] == [0, 0, 0], errors
        database = open_database(url)
        with database.connection_context():
            assert versions() == [schema.SCHEMA_VERSION]
            assert {"sale", "store", "promotion"} <= set(database.get_tables())

    if kind == "sqlite":
        start_three(str(tmp_path / "hub.sqlite3"))
    else:
        with scratch_database() as url:
            start_three(url)


def test_a_new_table_is_made_without_a_step(hub_db):
    hub_db.drop_tables([StorePrice])
    assert upgrade(hub_db, MODELS) == []
    assert "store_price" in hub_db.get_tables()
