""""Frequently bought together" on SQLite and PostgreSQL: pairs counted once a sale (not
for refunds), the strongest first, only past a minimum of sales, sent to the tills in the
store's catalog, where the cashier is offered one; and for a customer, what goes with
what they bought of late, on their page."""
import json
from pathlib import Path

from edge.app import create_app
from edge.config import merge
from hub import customers, schema
from hub.models import MODELS, Customer, Product, ProductPair, Store
from hub.recommendations import bought_with, for_customer, for_tills
from hub.reports import refresh
from hub.schema import SchemaVersion, upgrade
from hub.stores import build_snapshot, import_store_file
from tests.edge.conftest import MILK, PINS, Api, store
from tests.hub.test_reports import result, sell


def basket(*skus):
    return result(100 * len(skus), 0, [(sku, 1, None, 100) for sku in skus])


def test_pairs_are_counted_once_a_sale_and_the_strongest_come_first(hub_db):
    sell(hub_db, 1, 9, result=basket("MILK", "BREAD", "MILK"))
    sell(hub_db, 2, 9, result=basket("BREAD", "MILK", "WINE"))
    sell(hub_db, 3, 9, result=basket("WINE", "BREAD"))
    sell(hub_db, 4, 9, result=basket("BREAD", "WINE", "MILK"))
    sell(hub_db, 5, 9, kind="refund", result=basket("MILK", "WINE"))
    refresh(hub_db)
    pairs = {(pair.a, pair.b): pair.count for pair in ProductPair.select()}
    assert pairs == {("BREAD", "MILK"): 3, ("BREAD", "WINE"): 3, ("MILK", "WINE"): 2}
    assert bought_with("BREAD") == [("MILK", 3), ("WINE", 3)]
    assert bought_with("MILK") == [("BREAD", 3), ("WINE", 2)]
    assert bought_with("MILK", min_sales=3) == [("BREAD", 3)]
    assert for_tills({"BREAD", "MILK", "WINE"}, limit=1) == {
        "BREAD": ["MILK"], "MILK": ["BREAD"], "WINE": ["BREAD"]}
    assert for_tills({"MILK", "WINE"}) == {"MILK": ["WINE"], "WINE": ["MILK"]}


def test_a_till_offers_what_is_often_bought_with_the_last_scan(hub_db, till_config):
    import_store_file(hub_db, store(), "system")
    for seq in range(1, 3):
        sell(hub_db, seq, 9, result=basket("MILK", "BREAD"))
    refresh(hub_db)
    snapshot = build_snapshot(Store.get(Store.code == "test"))
    assert snapshot["recommendations"] == {"BREAD": ["MILK"], "MILK": ["BREAD"]}
    path = Path(till_config["till"]["data_dir"] + "-store.json")
    path.write_text(json.dumps(snapshot))
    app = create_app(merge(till_config, {"till": {"store_file": str(path)}}))
    try:
        api = Api(app.test_client())
        api.post("/api/auth/sign-in", {"pin": PINS["S01"]})
        api.post("/api/session/open", {"float": 0})
        sale = api.post("/api/sale/scan", {"code": MILK})["sale"]
        assert sale["suggestion"] == {"sku": "BREAD", "name": "Sourdough loaf",
                                      "unit_price": 345}
        sale = api.post("/api/sale/lines", {"sku": "BREAD", "qty": 1})["sale"]
        assert sale["suggestion"] is None  # both are in the sale
    finally:
        app.extensions["till"].devices.close()


def test_version_4_finds_a_products_pairs_by_its_second_product_too(hub_db):
    def indexes():
        return {index.name for index in hub_db.get_indexes("product_pair")}

    hub_db.execute_sql("DROP INDEX product_pair_b")
    SchemaVersion.update(version=3).execute()
    assert upgrade(hub_db, MODELS) == list(range(4, schema.SCHEMA_VERSION + 1))
    assert "product_pair_b" in indexes()


def shop(database):
    """Milk and wine bought by C000001 (wine under an id merged into theirs), and what
    other customers bought with them; jam is no longer sold."""
    for sku in ("MILK", "BREAD", "BUTTER", "JAM", "WINE", "CHEESE"):
        Product.create(sku=sku, name=sku.title(), tax_class="zero", unit_price=100,
                       active=sku != "JAM")
    jo, _ = customers.save_customer("system", {"name": "Jo"})
    old, _ = customers.save_customer("system", {"name": "Jo again"})
    new, _ = customers.save_customer("system", {"name": "New"})
    baskets = [("MILK", "BREAD")] * 3 + [("MILK", "BUTTER", "JAM")] * 2 + [
        ("WINE", "CHEESE")] * 2 + [("MILK", "CHEESE")] + [("MILK", "WINE")] * 2
    for seq, skus in enumerate(baskets, 1):
        sell(database, seq, 9, result=basket(*skus))
    sell(database, 20, 10, customer=jo.code, result=basket("MILK"))
    sell(database, 21, 10, customer=jo.code, result=basket("MILK", "WINE"))
    sell(database, 22, 10, customer=old.code, result=basket("WINE"))
    customers.merge("system", jo, old)
    refresh(database)
    return jo, new


def test_a_customer_is_offered_what_goes_with_what_they_buy_most(hub_db):
    jo, new = shop(hub_db)
    # Milk in 2 of their sales, wine in 2: bread 3 × 2 with milk, butter 2 × 2, cheese
    # 2 × 2 with wine; jam is inactive, cheese with milk (once) too rare, wine theirs.
    assert for_customer(jo) == [("BREAD", "Bread", "MILK", "Milk"),
                                ("BUTTER", "Butter", "MILK", "Milk"),
                                ("CHEESE", "Cheese", "WINE", "Wine")]
    assert for_customer(jo, limit=1) == [("BREAD", "Bread", "MILK", "Milk")]
    assert for_customer(new) == []
    customers.erase("system", jo)
    assert for_customer(Customer.get_by_id(jo.id)) == []


def test_the_customer_page_shows_the_recommendations(admin, hub_app):
    jo, new = shop(hub_app.extensions["hub_db"])
    admin.sign_in("marketing")
    page = admin.page(f"/customers/{jo.code}")
    section = page.split('data-test="recommended"')[1].split("</section>")[0]
    assert section.index('data-test="recommended-BREAD"') < section.index(
        'data-test="recommended-CHEESE"')
    assert "often bought with Wine" in section and "JAM" not in section
    assert 'data-test="no-recommendations"' in admin.page(f"/customers/{new.code}")
    customers.erase("system", jo)
    page = admin.page(f"/customers/{jo.code}")
    assert "None: the customer was erased." in page and "recommended-BREAD" not in page
