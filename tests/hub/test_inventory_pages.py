"""The inventory pages through the Flask test client: who may see and change what, junk in
every form answered with a clear message and nothing written, a purchase order received in
parts, a stocktake approved, and the stock page's flags."""
import re

import pytest

from hub import inventory
from hub.models import (
    AuditEntry,
    Product,
    PurchaseOrder,
    PurchaseOrderLine,
    StockDocument,
    StockLevel,
    StockMovement,
    Stocktake,
    StocktakeCount,
    Supplier,
    TillPresence,
    User,
)
from hub.stock import on_hand
from tests.hub.admin_client import Admin

WRITTEN = (StockMovement, StockDocument, StockLevel, Supplier, PurchaseOrder,
           PurchaseOrderLine, Stocktake, StocktakeCount)


@pytest.fixture
def shop(hub_app):
    for store in ("store-1", "store-2"):
        TillPresence.create(store=store, till="T01")
    Product.create(sku="MILK", name="Milk", category="Dairy", tax_class="std", unit_price=119)
    Product.create(sku="CHEESE", name="Cheese", category="Dairy", tax_class="std",
                   sold_by="weight", unit_price=1990)
    return hub_app


def counts():
    return {model.__name__: model.select().count() for model in WRITTEN}


def test_managers_change_inventory_viewers_only_look_and_marketing_sees_none(shop):
    pages = ["/inventory", "/inventory/reorder", "/suppliers", "/purchase-orders",
             "/stocktakes", "/inventory/store-1/MILK"]
    for role, view, manage in [("admin", 200, 302), ("store-manager", 200, 302),
                               ("viewer", 200, 403), ("marketing", 403, 403)]:
        browser = Admin(shop.test_client())
        browser.sign_in(role)
        for page in pages:
            browser.page(page, view)
        home = browser.page("/fleet" if view == 200 else "/products")
        assert ('href="/inventory"' in home) == (view == 200), role
        browser.submit("/inventory/adjust", {"store": "store-1", "sku": "MILK",
                                             "quantity": "5", "reason": "found"},
                       status=manage, form_page="/fleet" if view == 200 else "/products")
        browser.submit("/suppliers", {"name": f"Supplier of {role}", "lead_time_days": "2"},
                       status=manage, form_page="/fleet" if view == 200 else "/products")
        if view == 200:
            listing = browser.page("/suppliers")
            assert ('data-test="supplier-form"' in listing) == (manage == 302)
    assert on_hand("store-1") == {"MILK": 10}
    assert Supplier.select().count() == 2
    assert [entry.user for entry in AuditEntry.select().where(
        AuditEntry.action == "stock.adjust")] == ["admin", "store-manager"]


def test_junk_in_every_form_says_what_is_wrong_and_writes_nothing(admin, shop):
    admin.sign_in("store-manager")
    manager = User.get(User.username == "store-manager")
    supplier = Supplier.create(name="Dairy Co", lead_time_days=3)
    order = PurchaseOrder.create(supplier=supplier, store="store-1", created_by="x")
    sent = PurchaseOrder.create(supplier=supplier, store="store-1", created_by="x",
                                state="sent")
    PurchaseOrderLine.create(order=sent, line=1, sku="MILK", unit="pcs", quantity=5,
                             unit_cost=60)
    stocktake = inventory.start_stocktake(manager, "store-1", "")
    before = counts()
    for path, data, message in [
        ("/inventory/adjust", {"store": "store-9", "sku": "MILK", "quantity": "1",
                               "reason": "x"}, "is not a store (of the catalog"),
        ("/inventory/adjust", {"store": "store-1", "sku": "MILK", "quantity": "1.5",
                               "reason": "x"}, "is not a whole number"),
        ("/inventory/adjust", {"store": "store-1", "sku": "<b>", "quantity": "1",
                               "reason": "x"}, "no product has the SKU or barcode"),
        ("/inventory/transfer", {"store": "store-1", "to_store": "store-2",
                                 "items": "MILK 2\nCHEESE"}, "line 2: write a SKU"),
        ("/inventory/transfer", {"store": "store-1", "to_store": "store-2", "items": ""},
         "enter at least one line"),
        ("/inventory/reorder?store=store-1", {"sku": "MILK", "reorder_point": "-1"},
         "not below zero"),
        ("/suppliers", {"name": "", "lead_time_days": "3"}, "name: 1-100 characters"),
        ("/suppliers", {"name": "Dairy Co", "lead_time_days": "3"}, "already a supplier"),
        ("/suppliers", {"name": "New", "lead_time_days": "999"}, "at most 365"),
        ("/purchase-orders", {"supplier": "abc", "store": "store-1"}, "choose one"),
        ("/purchase-orders", {"supplier": "9" * 30, "store": "store-1"}, "choose one"),
        ("/purchase-orders", {"supplier": "²", "store": "store-1"}, "choose one"),
        (f"/purchase-orders/{order.id}/lines", {"sku": "MILK", "quantity": "3",
                                                "unit_cost": "-1"}, "not an amount"),
        (f"/purchase-orders/{order.id}/receive", {"line-1": "1"}, "cannot be done to it now"),
        (f"/purchase-orders/{sent.id}/receive", {"line-1": "9"}, "more than ordered"),
        (f"/purchase-orders/{sent.id}/receive", {"line-1": "x"}, "not a whole number"),
        (f"/purchase-orders/{sent.id}/receive", {"line-x": "1"}, "is not a line"),
        (f"/purchase-orders/{sent.id}/receive", {"line-²": "1"}, "is not a line"),
        (f"/purchase-orders/{sent.id}/receive", {"line-7": "1"}, "has no line 7"),
        (f"/purchase-orders/{sent.id}/send", {}, "cannot be done to it now"),
        ("/stocktakes", {"store": "store-1", "category": ""}, "under way"),
        ("/stocktakes", {"store": "store-2", "category": "Caviar"}, "no product is in"),
        (f"/stocktakes/{stocktake.id}/count", {"sku": "MILK", "counted": "-2"},
         "not below zero"),
        (f"/stocktakes/{stocktake.id}/approve", {}, "nothing was counted"),
    ]:
        response = admin.submit(path, data, status=400)
        page = response.get_data(as_text=True)
        error = re.search(r'data-test="error">([^<]*)<', page)
        assert error and message in error[1].replace("&#39;", "'"), (path, data, page[:300])
        assert counts() == before, (path, data)
    admin.page(f"/purchase-orders/{sent.id}/nonsense", 405)
    assert admin.submit(f"/purchase-orders/{sent.id}/nonsense", {}).status_code == 404
    assert admin.submit("/purchase-orders/999/send", {}).status_code == 404
    assert admin.client.post("/inventory/adjust", data={"store": "store-1"}).status_code \
        == 400  # no CSRF token


def test_a_purchase_order_through_its_pages(admin, shop):
    admin.sign_in("admin")
    admin.submit("/suppliers", {"name": "Dairy Co", "contact": "", "lead_time_days": "3"},
                 status=302)
    supplier = Supplier.get()
    location = admin.submit("/purchase-orders", {"supplier": str(supplier.id),
                                                 "store": "store-2"}, status=302).location
    for sku, quantity, cost in [("MILK", "1", "1"), ("CHEESE", "2", "3"), ("remove", "2", ""),
                                ("CHEESE", "2500", "9.99"), ("MILK", "10", "0.6")]:
        if sku == "remove":  # a line taken off
            admin.submit(location + "/remove", {"line": quantity}, status=302)
        else:  # MILK again: line 1 gets the new quantity and cost
            admin.submit(location + "/lines", {"sku": sku, "quantity": quantity,
                                               "unit_cost": cost}, status=302)
    page = admin.page(location)
    assert 'data-test="order-total">30.98<' in page  # 6.00 + 2.5 kg at 9.99 (24.975 up)
    assert 'data-test="line-3"' not in page
    admin.submit(location + "/send", {}, status=302)
    admin.submit(location + "/receive", {"line-1": "4", "line-2": ""}, status=302)
    assert "Partially received" in admin.page(location)
    admin.submit(location + "/receive", {"line-1": "7", "line-2": "2500",
                                         "confirm_over": "yes"}, status=302)
    page = admin.page(location)
    assert 'data-test="order-state">Received<' in page and "PO-00001/R2" in page
    assert on_hand("store-2") == {"MILK": 11, "CHEESE": 2500}
    assert 'data-test="receive"' not in page

    admin.submit("/inventory/reorder?store=store-2", {
        "store": "store-2", "sku": "MILK", "reorder_point": "12", "safety_stock": "30",
        "supplier": str(supplier.id)}, status=302)
    page = admin.page("/inventory/reorder?store=store-2")
    assert re.search(r'data-test="suggested">19<', page) and 'data-test="low"' in page
    done = admin.submit("/inventory/reorder/draft-orders?store=store-2", {},
                        status=302).location
    assert "Drafted PO-00002" in admin.page(done)
    assert 'data-test="order-total">11.40<' in admin.page("/purchase-orders/2")  # 19 × 0.60
    response = admin.submit("/inventory/reorder/draft-orders?store=store-1", {}, status=400)
    assert "nothing to order for store-1" in response.get_data(as_text=True)


def test_a_stocktake_through_its_pages_and_the_stock_flags(admin, shop):
    manager = User.get(User.username == "store-manager")
    inventory.adjust(manager, "store-1", "MILK", "12", "opening stock")
    inventory.set_level(manager, "store-1", "MILK", "20", "0", "")
    admin.sign_in("store-manager")
    done = admin.submit("/inventory/adjust", {"store": "store-1", "sku": "CHEESE",
                                              "quantity": "-300", "reason": "spoilt"},
                        status=302).location
    assert "ADJ-00002 recorded" in admin.page(done).replace("&#39;", "'")
    assert "now negative in store-1: CHEESE" in admin.page(done)
    stock = admin.page("/inventory?store=store-1")
    assert re.search(r'data-test="stock-CHEESE"[^>]*class="alert"', stock)
    assert 'data-test="negative"' in stock and 'data-test="low"' in stock
    assert re.search(r"1 at or below the reorder point,\s+1 with negative stock", stock)
    flagged = admin.page("/inventory?store=store-1&flagged=1&q=chee")
    assert "stock-CHEESE" in flagged and "stock-MILK" not in flagged
    assert "spoilt" not in admin.page("/inventory/store-1/CHEESE")  # reasons in the audit
    location = admin.submit("/stocktakes", {"store": "store-1", "category": "Dairy"},
                            status=302).location
    admin.submit(location + "/count", {"sku": "MILK", "counted": "10"}, status=302)
    admin.submit(location + "/count", {"sku": "MILK", "counted": "11"}, status=302)
    page = admin.page(location)
    assert 'data-test="variance-MILK">-1<' in page and "CHEESE (-300)" in page
    viewer = Admin(shop.test_client())
    viewer.sign_in("viewer")
    assert 'data-test="approve"' not in viewer.page(location)
    assert viewer.submit(location + "/approve", {}, form_page="/fleet").status_code == 403
    admin.submit(location + "/approve", {"zero_uncounted": "yes"}, status=302)
    assert 'data-test="stocktake-state">approved<' in admin.page(location)
    assert on_hand("store-1") == {"MILK": 11, "CHEESE": 0}
