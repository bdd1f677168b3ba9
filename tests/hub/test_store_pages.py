"""The stores' and promotions' pages: a store's set-up and its publishing to the tills,
store prices on a product's page, promotions of each type written, refused field by field
and previewed on a sample basket; each as the roles allow."""
import pytest

from hub import catalog_versions
from hub.models import AuditEntry, Promotion, Store, StorePrice
from hub.stores import import_store_file
from tests.edge.conftest import store

NEW_STORE = {"code": "north", "name": "North", "currency_code": "GBP",
             "currency_symbol": "£", "exponent": "2", "tax_mode": "exclusive",
             "tax_rounding": "line", "rounding": "half_up", "cash_increment": "5",
             "address": "1 North Rd\nLeeds", "phone": "", "tax_id": "", "footer": ""}
THREE_FOR_TWO = {"code": "MILK3", "name": "Milk 3 for 2.00", "type": "mix_match",
                 "skus": "MILK", "qty": "3", "price": "2.00", "stores": "test"}


@pytest.fixture
def test_store(hub_app):
    return import_store_file(hub_app.extensions["hub_db"], store(), "system")


def test_an_admin_sets_up_a_store_with_clear_errors(admin, hub_app):
    admin.sign_in("admin")
    page = admin.submit("/stores/new", {**NEW_STORE, "code": "hub", "currency_code": "eur",
                                        "cash_increment": "0", "tax_mode": "sometimes"},
                        status=400).get_data(as_text=True)
    for field in ("code", "currency_code", "cash_increment", "tax_mode"):
        assert f'data-test="error-{field}"' in page
    assert "reserved name" in page and Store.select().count() == 0
    for increment in ("²", "9" * 5000):
        page = admin.submit("/stores/new", {**NEW_STORE, "cash_increment": increment},
                            status=400).get_data(as_text=True)
        assert 'data-test="error-cash_increment"' in page
    response = admin.submit("/stores/new", NEW_STORE, form_page="/stores/new", status=302)
    assert response.location.endswith("/stores/north")
    north = Store.get(Store.code == "north")
    assert north.details["address"] == ["1 North Rd", "Leeds"]
    assert north.pricing["cash_increment"] == 5
    page = admin.page("/stores/north")
    assert 'data-test="no-staff"' in page  # nobody could sign in at its tills yet
    admin.submit("/stores/north", {**NEW_STORE, "name": "North End"}, status=302)
    assert Store.get(Store.code == "north").name == "North End"
    assert AuditEntry.select().where(AuditEntry.action.startswith("store.")).count() == 2


def test_a_manager_publishes_a_store_and_a_viewer_may_not(admin, test_store):
    admin.sign_in("store-manager")
    assert 'data-test="publish"' in admin.page("/stores/test")
    admin.submit("/stores/north", NEW_STORE, form_page="/stores/test", status=404)
    admin.submit("/stores/new", NEW_STORE, status=403)  # stores are the admin's
    response = admin.submit("/stores/test/publish", {}, form_page="/stores/test", status=302)
    assert "Version 1 is on its way" in admin.page(response.location)
    assert catalog_versions.latest("test").version == 1
    response = admin.submit("/stores/test/publish", {}, form_page="/stores/test", status=302)
    assert "nothing changed" in admin.page(response.location)
    assert '<td class="num">1</td>' in admin.page("/stores")
    for role in ("viewer", "marketing"):
        admin.client.post("/sign-out", data={"csrf_token": admin.token("/stores")})
        admin.sign_in(role)
        assert 'data-test="publish"' not in admin.page("/stores/test")
        admin.submit("/stores/test/publish", {}, form_page="/stores/test", status=403)
    assert catalog_versions.latest("test").version == 1


def test_a_store_price_is_set_on_the_products_page(admin, test_store):
    admin.sign_in("store-manager")
    admin.submit("/stores/test/publish", {}, form_page="/stores/test", status=302)
    assert 'data-test="unpublished"' not in admin.page("/stores/test")
    page = admin.page("/products/BREAD")
    assert 'data-test="store-price-test"' in page
    admin.submit("/products/BREAD/prices", {"store": "test", "unit_price": "abc",
                                            "member_price": ""},
                 form_page="/products/BREAD", status=400)
    admin.submit("/products/BREAD/prices", {"store": "test", "unit_price": "3.10",
                                            "member_price": "2.90"},
                 form_page="/products/BREAD", status=302)
    assert StorePrice.get().unit_price == 310 and StorePrice.get().member_price == 290
    assert 'value="3.10"' in admin.page("/products/BREAD")
    assert 'data-test="unpublished"' in admin.page("/stores/test")
    admin.client.post("/sign-out", data={"csrf_token": admin.token("/products")})
    admin.sign_in("viewer")
    admin.submit("/products/BREAD/prices", {"store": "test", "unit_price": "1.00"},
                 form_page="/products/BREAD", status=403)
    assert StorePrice.get().unit_price == 310


def test_marketing_writes_a_promotion_previews_it_and_removes_it(admin, test_store):
    admin.sign_in("marketing")
    page = admin.submit("/promotions/new", {**THREE_FOR_TWO, "qty": "1", "price": "x"},
                        status=400).get_data(as_text=True)
    assert 'data-test="error-price"' in page and Promotion.select().count() == 2  # P1, P2
    response = admin.submit("/promotions/new", THREE_FOR_TWO, status=302)
    assert response.location.endswith("/promotions/MILK3")
    saved = Promotion.get(Promotion.code == "MILK3")
    assert (saved.type, saved.rule, saved.stores) == (
        "mix_match", {"skus": ["MILK"], "qty": 3, "price": 200}, ["test"])
    page = admin.page("/promotions/MILK3")
    assert 'value="2.00"' in page and "(running)" in page
    preview = admin.submit("/promotions/preview", {**THREE_FOR_TWO, "preview_store": "test",
                                                   "basket": "MILK x 4\nBREAD"},
                           form_page="/promotions/MILK3", status=200).get_data(as_text=True)
    # 4 milk at 1.00 and a loaf at 3.45: one bundle of 3 for 2.00 saves 1.00.
    assert 'data-test="preview-saving">1.00<' in preview
    assert 'data-test="preview-total">6.45<' in preview
    refused = admin.submit("/promotions/preview", {**THREE_FOR_TWO, "preview_store": "test",
                                                   "basket": "APPLE x 3"},
                           form_page="/promotions/MILK3", status=200).get_data(as_text=True)
    assert "sold by weight: give grams" in refused
    none = admin.submit("/promotions/preview", {**THREE_FOR_TWO, "preview_store": "test",
                                                "basket": "APPLE x 450g"},
                        form_page="/promotions/MILK3", status=200).get_data(as_text=True)
    assert 'data-test="preview-none"' in none
    admin.submit("/promotions/MILK3", {**THREE_FOR_TWO, "name": "Milk deal", "code": "X"},
                 status=302)
    assert sorted(p.code for p in Promotion.select()) == ["MILK3", "P1", "P2"]  # the code stays
    assert Promotion.get(Promotion.code == "MILK3").name == "Milk deal"
    assert "Milk deal" in admin.page("/promotions?status=running")
    assert "Milk deal" not in admin.page("/promotions?status=ended")
    admin.submit("/promotions/MILK3/delete", {}, form_page="/promotions/MILK3", status=302)
    assert not Promotion.select().where(Promotion.code == "MILK3").exists()
    actions = [entry.action for entry in AuditEntry.select().where(
        AuditEntry.target == "MILK3").order_by(AuditEntry.id)]
    assert actions == ["promotion.create", "promotion.update", "promotion.delete"]


def test_a_viewer_sees_promotions_and_changes_none(admin, test_store):
    admin.sign_in("viewer")
    page = admin.page("/promotions")
    assert "Milk 3 for 2.50" in page and 'data-test="new-promotion"' not in page
    assert 'data-test="save-promotion"' not in admin.page("/promotions/P1")
    admin.submit("/promotions/new", THREE_FOR_TWO, form_page="/promotions", status=403)
    admin.submit("/promotions/P1/delete", {}, form_page="/promotions/P1", status=403)
    response = admin.client.post("/promotions/P1", data={**THREE_FOR_TWO})  # no CSRF token
    assert response.status_code in (400, 403)
    assert Promotion.select().count() == 2
