""""Frequently bought together" on SQLite and PostgreSQL: pairs counted once a sale (not
for refunds), the strongest first, only past a minimum of sales, sent to the tills in the
store's catalog, where the cashier is offered one."""
import json
from pathlib import Path

from edge.app import create_app
from edge.config import merge
from hub.models import ProductPair, Store
from hub.recommendations import bought_with, for_tills
from hub.reports import refresh
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
