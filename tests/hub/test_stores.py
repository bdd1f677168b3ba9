"""A store's catalog as the hub builds it from its own (products, store prices, tax classes,
promotions for the store and its dates), on SQLite and PostgreSQL; the catalog versions
that building publishes, by hand and when a promotion starts or ends."""
import copy
import datetime
import json
from pathlib import Path

import pytest

from edge.sample_store import DEFAULT_PATH
from hub import catalog_versions, reports
from hub.catalog_push import CatalogServer
from hub.models import AuditEntry, Product, Promotion, Store, StorePrice
from hub.promotions import save as save_promotion
from hub.stores import (
    StoreFileError,
    build_snapshot,
    import_store_file,
    publish,
    publish_scheduled,
    save_store,
    set_store_price,
)
from shared import catalog_delta
from tests.edge.conftest import store
from tests.waiting import wait_for

SAMPLE = json.loads(Path(DEFAULT_PATH).read_text())
T0 = datetime.datetime(2026, 12, 3, 8, 0)


def keyed(snapshot):
    """The snapshot's sections, barcodes as sets: their order is not content."""
    parts = catalog_delta.sections(catalog_delta.normal(copy.deepcopy(snapshot)))
    for product in parts["products"].values():
        product["barcodes"] = sorted(product.get("barcodes", []))
        product.setdefault("sold_by", "unit")
        product.setdefault("department", "")
        product.setdefault("tags", [])
    return parts


def test_the_sample_store_goes_through_the_hub_unchanged(hub_db):
    imported = import_store_file(hub_db, SAMPLE, "ada")
    built = build_snapshot(imported)
    assert keyed(built) == keyed(SAMPLE)
    assert publish(hub_db, imported, "ada") == 1
    assert publish(hub_db, imported, "ada") is None  # nothing changed: no new version
    assert AuditEntry.select().where(AuditEntry.action == "catalog.publish").count() == 1


def test_a_store_file_the_tills_would_refuse_changes_nothing(hub_db):
    bad = store()
    bad["products"][1]["tax_class"] = "luxury"
    with pytest.raises(StoreFileError, match="unknown tax_class 'luxury'"):
        import_store_file(hub_db, bad, "ada")
    assert Store.select().count() == Product.select().count() == 0


def test_store_prices_are_the_stores_own(hub_db):
    test = import_store_file(hub_db, store(), "ada")
    other, errors = save_store("ada", {"code": "other", "name": "Other", "currency_code": "GBP",
                                       "exponent": "2", "tax_mode": "exclusive",
                                       "tax_rounding": "line", "rounding": "half_up",
                                       "cash_increment": "5"})
    assert errors is None
    bread = Product.get(Product.sku == "BREAD")
    assert set_store_price("ada", test, bread, "3.10", "") is None
    assert set_store_price("ada", test, bread, "", "2.50") == {
        "unit_price": "a store price is needed with a member price"}
    assert "at most 2 decimals" in set_store_price("ada", test, bread, "3.105", "")["unit_price"]

    def bread_in(where):
        return next(product for product in build_snapshot(where)["products"]
                    if product["sku"] == "BREAD")
    assert (bread_in(test)["unit_price"], bread_in(test).get("member_price")) == (310, None)
    assert (bread_in(other)["unit_price"], bread_in(other)["member_price"]) == (345, 299)
    assert set_store_price("ada", test, bread, "", "") is None  # back to the catalog's
    assert bread_in(test)["unit_price"] == 345 and StorePrice.select().count() == 0


def promotion(code, stores="", starts="", ends="", **fields):
    values = {"code": code, "name": code, "type": "percent_off", "percent": "10",
              "tags": "dairy", "stores": stores, "starts_at": starts, "ends_at": ends,
              **fields}
    saved, errors = save_promotion("ada", values)
    assert errors is None, errors
    return saved


def codes(snapshot):
    return [entry["id"] for entry in snapshot["pricing"]["promotions"]]


def test_a_store_gets_the_promotions_running_for_it(hub_db):
    test = import_store_file(hub_db, store(), "ada")
    save_store("ada", {"code": "other", "name": "Other", "currency_code": "GBP",
                       "exponent": "2", "tax_mode": "exclusive", "tax_rounding": "line",
                       "rounding": "half_up", "cash_increment": "1"})
    other = Store.get(Store.code == "other")
    promotion("EVERY")
    promotion("OTHER", stores="other")
    promotion("LATER", starts="2026-12-24T00:00")
    promotion("OVER", ends="2026-12-01T00:00")
    promotion("NOW", starts="2026-12-01T00:00", ends="2026-12-24T00:00")
    # P1 and P2 came with the store file, for its store.
    assert codes(build_snapshot(test, T0)) == ["EVERY", "NOW", "P1", "P2"]
    assert codes(build_snapshot(other, T0)) == ["EVERY", "NOW", "OTHER"]
    christmas = datetime.datetime(2026, 12, 24)
    assert codes(build_snapshot(test, christmas)) == ["EVERY", "LATER", "P1", "P2"]


def test_a_promotion_starting_or_ending_publishes_the_stores_it_concerns(hub_db):
    test = import_store_file(hub_db, store(), "ada")
    save_store("ada", {"code": "quiet", "name": "Never published", "currency_code": "GBP",
                       "exponent": "2", "tax_mode": "exclusive", "tax_rounding": "line",
                       "rounding": "half_up", "cash_increment": "1"})
    assert publish(hub_db, test, "ada", T0) == 1
    promotion("XMAS", starts="2026-12-24T00:00", ends="2026-12-27T00:00")
    day = datetime.timedelta(days=1)
    eve, boxing_day = datetime.datetime(2026, 12, 24), datetime.datetime(2026, 12, 27)
    assert publish_scheduled(hub_db, T0, eve - day) == []  # nothing started or ended
    assert publish_scheduled(hub_db, eve - day, eve) == [("test", 2)]
    assert "XMAS" in codes(json.loads(catalog_versions.latest("test").snapshot))
    assert publish_scheduled(hub_db, eve, eve + day) == []
    assert publish_scheduled(hub_db, boxing_day - day, boxing_day) == [("test", 3)]
    assert "XMAS" not in codes(json.loads(catalog_versions.latest("test").snapshot))
    assert catalog_versions.latest("quiet") is None  # a store never published stays so
    assert catalog_versions.oldest_latest() is not None


def test_the_catalog_server_makes_the_scheduled_versions(hub_db, broker, monkeypatch):
    """Even while another scheduled job fails (here the reports' counts)."""
    def broken(database):
        raise RuntimeError("the reports' counts failed")

    monkeypatch.setattr(reports, "refresh", broken)
    test = import_store_file(hub_db, store(), "ada")
    publish(hub_db, test, "ada")
    moment = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
    promotion("SOON", starts=(moment + datetime.timedelta(seconds=1)).isoformat())
    server = CatalogServer(hub_db, {"port": broker.port, "password": "hub-secret"})
    server.SCHEDULE_S = 0.2
    server.start()
    try:
        wait_for(lambda: catalog_versions.latest("test").version == 2, timeout=10)
        wait_for(lambda: catalog_versions.latest("test").published_at is not None)
    finally:
        server.stop()
    assert "SOON" in codes(json.loads(catalog_versions.latest("test").snapshot))


@pytest.mark.parametrize("values, field, message", [
    ({"percent": "120"}, "percent", "from \"0\" to \"100\""),
    ({"tags": "", "skus": ""}, "skus", "name the products"),
    ({"type": "mix_match", "qty": "1", "price": "2.00"}, "qty", "integer >= 2"),
    ({"type": "mix_match", "qty": "three", "price": "2.00"}, "qty", "a whole number"),
    ({"type": "mix_match", "qty": "3", "price": "2.001"}, "price", "at most 2 decimals"),
    ({"type": "threshold", "min_subtotal": "20", "amount_off": "5", "percent": "10"}, "type",
     "exactly one of amount_off and percent"),
    ({"type": "buy_x_get_y", "buy": "0", "get": "1", "percent": "100"}, "buy",
     "integer >= 1"),
    ({"type": "bogus"}, "type", "one of percent_off"),
    ({"code": "no spaces"}, "code", "1-32 characters"),
    ({"name": ""}, "name", "1-100 characters"),
    ({"starts_at": "tomorrow"}, "starts_at", "a date and time in UTC"),
    ({"starts_at": "2026-12-24T00:00", "ends_at": "2026-12-23T00:00"}, "ends_at",
     "after the start"),
    ({"stores": "nowhere"}, "stores", "unknown store nowhere"),
])
def test_a_bad_promotion_is_refused_with_the_field_at_fault(hub_db, values, field, message):
    fields = {"code": "P9", "name": "Nine", "type": "percent_off", "percent": "10",
              "tags": "dairy", **values}
    saved, errors = save_promotion("ada", fields)
    assert saved is None and message in errors[field], errors
    assert Promotion.select().count() == 0
