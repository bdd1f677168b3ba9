"""The product search's trigram index on SQLite (FTS5) and PostgreSQL (pg_trgm): words
found anywhere in names whatever their case, kept in step with every change to a product,
and made for a catalog that was there before it."""
from hub import product_search
from hub.models import Product, TaxClass
from hub.products import import_products, search_products
from tests.hub.test_products import HEADER


def names(query):
    return [product.name for product in search_products(query)]


def test_words_are_found_anywhere_in_names_and_follow_each_change(hub_db):
    assert hub_db.product_search  # the index is there on both databases
    for n, name in enumerate(("Dark Chocolate 100g", "Milk chocolate", "Whole milk 1l",
                              "Käse mild")):
        Product.create(sku=f"P{n}", name=name, tax_class="std", unit_price=100)
    assert names("chocolate") == ["Dark Chocolate 100g", "Milk chocolate"]
    assert names("HOC milk") == ["Milk chocolate"]
    assert names("mi") == ["Käse mild", "Milk chocolate", "Whole milk 1l"]  # no trigram
    assert names("käse") == ["Käse mild"] and names("nothing") == []
    Product.update(name="Dark cocoa bar").where(Product.sku == "P0").execute()
    assert names("chocolate") == ["Milk chocolate"] and names("cocoa") == ["Dark cocoa bar"]
    Product.delete().where(Product.sku == "P1").execute()
    assert names("chocolate") == []


def test_a_catalog_from_before_the_index_is_indexed_when_it_is_made(hub_db):
    Product.create(sku="P1", name="Smoked salmon", tax_class="std", unit_price=100)
    if hub_db.__class__.__name__.startswith("Sqlite"):
        hub_db.execute_sql(f"DROP TABLE {product_search.TABLE}")
        for trigger in ("insert", "update", "delete"):
            hub_db.execute_sql(f"DROP TRIGGER {product_search.TABLE}_{trigger}")
        hub_db.product_search = False
        assert names("salmon") == ["Smoked salmon"]  # without it: read every name
    else:
        hub_db.execute_sql("DROP INDEX product_name_trigrams")
    product_search.install(hub_db)
    assert hub_db.product_search and names("SALMON") == ["Smoked salmon"]


def test_a_big_import_makes_the_index_again_whole_and_keeps_it_in_step(hub_db, monkeypatch):
    monkeypatch.setattr(product_search, "BULK", 3)
    TaxClass.create(code="std", name="Standard")
    Product.create(sku="OLD", name="Old chocolate", tax_class="std", unit_price=100)
    rows = "".join(f"P{n},{name} {n},,,,std,unit,1.00,,\n" for n, name in
                   enumerate(("Dark chocolate", "Milk", "White chocolate", "Tea")))
    assert import_products((HEADER + rows + "OLD,Old cocoa,,,,std,unit,1.00,,\n").encode(),
                           "ada").ok
    assert names("chocolate") == ["Dark chocolate 0", "White chocolate 2"]
    assert names("cocoa") == ["Old cocoa"]
    Product.update(name="Green tea").where(Product.sku == "P1").execute()  # triggers back
    assert names("tea") == ["Green tea", "Tea 3"]
