"""The catalog's pages: finding products, editing one with clear errors and an audit
trail, and the CSV import with its progress and report; each as the roles allow."""
import io

import pytest

from hub.models import AuditEntry, Product, TaxClass
from tests.hub.test_products import BREAD, GOOD, HEADER, MILK


@pytest.fixture
def taxes(hub_app):
    TaxClass.create(code="reduced", name="Reduced")
    TaxClass.create(code="standard", name="Standard")


def wait_for_import(admin, location):
    for _ in range(200):
        page = admin.page(location)
        if "import-progress" not in page:
            return page
    raise AssertionError("the import did not finish")


def upload(admin, text):
    return admin.client.post("/products/import", data={
        "csrf_token": admin.token("/products/import"),
        "file": (io.BytesIO(text.encode()), "products.csv")},
        content_type="multipart/form-data")


def test_a_manager_imports_then_finds_products(admin, taxes):
    admin.sign_in("store-manager")
    response = upload(admin, GOOD)
    assert response.status_code == 302
    page = wait_for_import(admin, response.location)
    assert "3 rows imported: 3 products created" in page
    assert 'data-test="product-MILK"' in admin.page("/products?q=milk")
    rows = admin.client.get(f"/products?q={BREAD}", headers={"HX-Request": "true"}) \
        .get_data(as_text=True)
    assert "product-BREAD" in rows and "<html" not in rows and "product-MILK" not in rows
    assert "No product matches" in admin.page("/products?q=caviar")
    exported = admin.client.get("/products.csv")
    assert exported.mimetype == "text/csv" and MILK in exported.get_data(as_text=True)


def test_a_file_with_bad_rows_is_listed_and_not_imported(admin, taxes):
    admin.sign_in("admin")
    response = upload(admin, GOOD + "PEAR,Pear,,,,none,unit,abc,,\n")
    page = wait_for_import(admin, response.location)
    assert "nothing was imported" in page
    assert "unknown tax class" in page and "not an amount" in page
    assert Product.select().count() == 0


def test_an_upload_too_big_is_refused_clearly(hub_app, admin, taxes):
    admin.sign_in("admin")
    response = admin.client.post("/products/import", data=b"x" * (
        hub_app.config["MAX_CONTENT_LENGTH"] + 1), content_type="text/csv")
    assert response.status_code == 413
    assert "too large" in response.get_data(as_text=True).lower()


def test_editing_a_product_shows_each_error_then_saves_with_an_audit_entry(admin, taxes):
    admin.sign_in("store-manager")
    fields = {"sku": "TEA", "name": "Green tea", "category": "Drinks", "tags": "tea",
              "tax_class": "standard", "sold_by": "unit", "unit_price": "3.5",
              "member_price": "", "barcodes": MILK[:-1] + "0", "rcn_item": ""}
    response = admin.submit("/products/new", fields, status=400)
    assert 'data-test="error-barcodes"' in response.get_data(as_text=True)
    assert Product.select().count() == 0
    admin.submit("/products/new", {**fields, "barcodes": MILK}, status=302)
    tea = Product.get(Product.sku == "TEA")
    assert (tea.unit_price, tea.tags) == (350, ["tea"])
    admin.submit("/products/TEA", {**fields, "barcodes": MILK, "unit_price": "3.75",
                                   "sku": "OTHER"}, status=302)
    assert Product.get(Product.sku == "TEA").unit_price == 375  # the SKU stayed
    entry = AuditEntry.select().where(AuditEntry.action == "product.update").get()
    assert (entry.user, entry.target, entry.detail) == ("store-manager", "TEA",
                                                         {"unit_price": [350, 375]})


def test_a_barcode_of_another_product_is_refused_not_moved(admin, taxes):
    admin.sign_in("admin")
    wait_for_import(admin, upload(admin, GOOD).location)  # MILK's barcode is in the catalog
    fields = {"sku": "TEA", "name": "Tea", "tax_class": "standard", "unit_price": "1",
              "barcodes": MILK}
    page = admin.submit("/products/new", fields, status=400).get_data(as_text=True)
    assert f"{MILK} is on product MILK" in page


def test_viewers_see_but_do_not_change_the_catalog(admin, taxes):
    admin.sign_in("viewer")
    assert "New product" not in admin.page("/products")
    admin.page("/products/import", 403)
    response = admin.submit("/products/new", {"sku": "TEA", "name": "Tea",
                                              "tax_class": "standard", "unit_price": "1"},
                            form_page="/products/new")
    assert response.status_code == 403 and Product.select().count() == 0


def test_an_unknown_product_is_a_clear_404(admin):
    admin.sign_in("viewer")
    assert "No product has the SKU NOPE" in admin.page("/products/NOPE", 404)
    assert HEADER  # the CSV's columns are what the import page names
