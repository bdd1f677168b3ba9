"""Tax classes and rates in the admin app, on SQLite and PostgreSQL: added and removed
with the engine's own checks, a class in use kept, the stores' catalogs marked changed,
each change audited, and only for roles that edit the catalog."""
from hub.models import AuditEntry, Product, Store, TaxClass, TaxRate
from hub.stores import build_snapshot, import_store_file, publish, unpublished_changes
from tests.edge.conftest import store


def test_a_manager_adds_a_class_and_its_rates(admin, hub_app):
    database = hub_app.extensions["hub_db"]
    test = import_store_file(database, store(), "system")
    publish(database, test, "system")
    admin.sign_in("store-manager")
    page = admin.submit("/taxes", {"code": "Food!", "name": ""}, status=400)
    assert "1-32 characters" in page.get_data(as_text=True)
    admin.submit("/taxes", {"code": "food", "name": "Food"}, status=302)
    refused = admin.submit("/taxes/food/rates", {"rate_code": "vat5", "rate": "105",
                                                 "rate_name": "VAT 5%"},
                           form_page="/taxes", status=400).get_data(as_text=True)
    assert "must be a decimal string" in refused
    admin.submit("/taxes/food/rates", {"rate_code": "vat5", "rate": "5.5",
                                       "rate_name": "VAT 5.5%"}, form_page="/taxes",
                 status=302)
    admin.submit("/taxes/food/rates", {"rate_code": "vat5", "rate": "5", "rate_name": "x"},
                 form_page="/taxes", status=400)  # the id is taken in this class
    assert [(r.code, r.rate) for r in TaxRate.select().join(TaxClass).where(
        TaxClass.code == "food")] == [("vat5", "5.5")]
    test = Store.get(Store.code == "test")
    assert unpublished_changes(test) is not None  # the tills have yet to get it
    assert build_snapshot(test)["pricing"]["tax_classes"]["food"] == [
        {"id": "vat5", "rate": "5.5", "name": "VAT 5.5%"}]
    rate = TaxRate.get(TaxRate.code == "vat5")
    admin.submit(f"/taxes/rates/{rate.id}/delete", {}, form_page="/taxes", status=302)
    admin.submit("/taxes/food/delete", {}, form_page="/taxes", status=302)
    assert not TaxClass.select().where(TaxClass.code == "food").exists()
    assert [entry.action for entry in AuditEntry.select().where(
        AuditEntry.user == "store-manager").order_by(AuditEntry.id)] == [
        "user.sign_in", "tax_class.create", "tax_rate.create", "tax_rate.delete",
        "tax_class.delete"]


def test_a_class_in_use_stays_and_viewers_change_nothing(admin, hub_app):
    import_store_file(hub_app.extensions["hub_db"], store(), "system")
    admin.sign_in("admin")
    page = admin.submit("/taxes/zero/delete", {}, form_page="/taxes", status=400)
    assert "3 products are in zero" in page.get_data(as_text=True)
    admin.client.post("/sign-out", data={"csrf_token": admin.token("/taxes")})
    admin.sign_in("viewer")
    page = admin.page("/taxes")
    assert 'data-test="rate-standard-vat20"' in page and 'data-test="add-class"' not in page
    admin.submit("/taxes", {"code": "x", "name": "X"}, form_page="/taxes", status=403)
    admin.submit("/taxes/standard/delete", {}, form_page="/taxes", status=403)
    assert TaxClass.select().count() == 2 and Product.select().count() == 4
