"""Sales reports on SQLite and PostgreSQL: every sale counted once however often the
report refreshes, refunds counted against sales, each breakdown adding up, the customer
figures, CSV exports, bad input and who may see them."""
import datetime
from urllib.parse import urlencode

import pytest

from hub import reports
from hub.ingest import apply
from hub.models import CustomerStats, Product, ReportedSale, ReportFrontier, Sale
from shared.protocol import Envelope, encode
from tests.protocol.test_messages import SALE

DAY = "2026-11-25"


def result(total, tax, lines):
    return {"subtotal": total, "total": total, "tax_total": tax,
            "taxes": [{"id": "vat20", "amount": tax}] if tax else [],
            "lines": [{"line": n, "sku": sku, "qty": qty, "weight_g": grams, "net": net}
                      for n, (sku, qty, grams, net) in enumerate(lines, 1)]}


def sell(database, seq, hour, cashier="S01", kind="sale", till="T01", **fields):
    uuid, at = f"{till}-{seq}", f"{DAY}T{hour:02d}:15:00+00:00"
    message = encode(Envelope(kind="sale.completed", store="store-1", till=till, seq=seq,
                              id=uuid, at=at, body={
                                  **SALE, "uuid": uuid, "till": till, "seq": seq,
                                  "kind": kind, "cashier": cashier, "completed_at": at,
                                  **fields}))
    assert apply(database, f"tilly/v1/store-1/{till}/sale", message) == "applied"


@pytest.fixture
def sales(hub_db):
    Product.create(sku="MILK", name="Milk", category="Dairy", tax_class="zero",
                   unit_price=100)
    sell(hub_db, 1, 9, result=result(1200, 200, [("MILK", 2, None, 200),
                                                ("WINE", 1, None, 800)]))
    sell(hub_db, 2, 9, cashier="S02", result=result(300, 0, [("MILK", 3, None, 300)]))
    sell(hub_db, 3, 14, till="T02", result=result(250, 0, [("APPLE", None, 450, 250)]))
    sell(hub_db, 4, 15, kind="refund", result=result(100, 0, [("MILK", 1, None, 100)]))
    return hub_db


def test_each_sale_is_counted_once_and_refunds_count_against_it(sales):
    assert reports.refresh(sales) == 4
    assert reports.refresh(sales) == 0
    assert ReportedSale.select().count() == 4
    total = reports.summary(DAY, DAY)
    assert (total["sales"], total["sold"], total["refunds"], total["refunded"], total["net"],
            total["tax"], total["average_sale"]) == (3, 1750, 1, 100, 1650, 200, 583)
    by_hour = {row["key"]: (row["sales"], row["net"]) for row in reports.sales_by(
        "hour", DAY, DAY)}
    assert by_hour == {"9": (2, 1500), "14": (1, 250), "15": (0, -100)}
    by_cashier = {row["key"]: row["sales"] for row in reports.sales_by("cashier", DAY, DAY)}
    assert by_cashier == {"S01": 2, "S02": 1}
    by_till = {row["key"]: row["net"] for row in reports.sales_by("till", DAY, DAY)}
    assert by_till == {"store-1 T01": 1400, "store-1 T02": 250}
    assert sum(row["net"] for row in reports.sales_by("day", DAY, DAY)) == total["net"]
    assert reports.summary("2026-11-26", "2026-11-30")["sales"] == 0


def test_products_categories_and_taxes(sales):
    reports.refresh(sales)
    top = {row["key"]: (row["units"], row["amount"], row["returned"], row["category"])
           for row in reports.products(DAY, DAY)}
    assert top == {"MILK": (4, 400, 1, "Dairy"), "WINE": (1, 800, 0, ""),
                   "APPLE": (450, 250, 0, "")}
    assert [row["key"] for row in reports.products(DAY, DAY, by="units")][0] == "APPLE"
    assert [row["key"] for row in reports.products(DAY, DAY, limit=1)] == ["WINE"]
    assert {row["key"]: row["amount"] for row in reports.categories(DAY, DAY)} == {
        "Dairy": 400, "(none)": 1050}
    assert reports.taxes(DAY, DAY) == [{"key": "vat20", "amount": 200}]
    assert reports.products(DAY, DAY, store="elsewhere") == []


def test_a_refresh_after_new_sales_adds_only_them(sales):
    reports.refresh(sales)
    sell(sales, 5, 9, result=result(300, 0, [("MILK", 3, None, 300)]))
    assert reports.refresh(sales, batch=1) == 1
    assert reports.summary(DAY, DAY)["sold"] == 2050


def test_a_sale_received_just_before_the_newest_counted_is_counted_too(sales):
    # Its transaction committed after the refresh counted a later one: the next refresh
    # looks back a margin from the newest counted, not from the start of all sales.
    reports.refresh(sales)
    newest = ReportFrontier.get().received_at
    sell(sales, 5, 9, result=result(300, 0, [("MILK", 3, None, 300)]))
    Sale.update(received_at=newest - datetime.timedelta(minutes=5)).where(
        Sale.uuid == "T01-5").execute()
    assert reports.refresh(sales) == 1
    assert reports.summary(DAY, DAY)["sales"] == 4
    assert ReportFrontier.get().received_at == newest  # never moved back


def test_the_customer_figures(hub_db):
    today = datetime.date(2026, 12, 3)
    CustomerStats.create(customer="C1", visits=3, spent=9000, last_purchase="2026-12-01")
    CustomerStats.create(customer="C2", visits=1, spent=1000, last_purchase="2026-06-01")
    assert reports.customers(today) == {"customers": 2, "churn_days": 90, "repeat_rate": 50.0,
                                        "churn_rate": 50.0, "lifetime_value": 5000}


def test_the_reports_page_shows_the_customer_figures_the_last_refresh_counted(hub_db):
    """Counted with the sales by the catalog server's job, not at each view: they read
    every customer's statistics."""
    CustomerStats.create(customer="C1", visits=3, spent=9000, last_purchase="2026-12-01")
    assert reports.customer_figures()["customers"] == 1  # none counted yet: counted now
    reports.refresh(hub_db)
    CustomerStats.create(customer="C2", visits=1, spent=1000, last_purchase="2026-06-01")
    assert reports.customer_figures()["customers"] == 1  # as the last refresh counted
    reports.refresh(hub_db)
    assert reports.customer_figures() == reports.customers()
    assert reports.customer_figures()["customers"] == 2


# (from, to, store, the filter at fault, what it says)
BAD_FILTERS = [
    ("yesterday", "", "", "from", "dates are YYYY-MM-DD"),
    ("", "2026-13-01", "", "to", "dates are YYYY-MM-DD"),
    ("2026-02-30", "2026-03-01", "", "from", "dates are YYYY-MM-DD"),
    ("2026-12-02", "2026-12-01", "", "from", "the first day is after the last"),
    ("1990-01-01", "2026-12-01", "", "from", "at most ten years at a time"),
    ("", "0001-01-10", "", "to", "a last day from 0001-01-30"),
    ("", "", "nowhere", "store", "no store has the code nowhere"),
    ("", "", "x" * 300, "store", "no store has the code xxx"),
]


@pytest.mark.parametrize("start, end, store, field, message", BAD_FILTERS)
def test_a_bad_period_or_store_is_refused_by_its_filter(admin, hub_app, start, end, store,
                                                         field, message):
    sell(hub_app.extensions["hub_db"], 1, 9, result=result(300, 0, [("MILK", 3, None, 300)]))
    admin.sign_in("viewer")
    query = urlencode({"from": start, "to": end, "store": store})
    page = admin.page(f"/reports?{query}", 400)
    assert f'data-test="error-{field}">{message}' in page
    assert f'name="from" value="{start}"' in page and f'name="to" value="{end}"' in page
    assert 'data-test="kpis"' not in page
    for name in ("day", "products"):
        text = admin.page(f"/reports/{name}.csv?{query}", 400)
        assert f"{field}: {message}" in text
    assert ReportedSale.select().count() == 0  # refused before anything was counted


def test_the_reports_page_and_its_csv(admin, hub_app):
    database = hub_app.extensions["hub_db"]
    admin.sign_in("viewer")
    assert "No sales counted yet" in admin.page(f"/reports?from={DAY}&to={DAY}")
    sell(database, 1, 9, result=result(1200, 200, [
        ("MILK", 2, None, 200), ("WINE", 1, None, 800)]))
    # The page shows the counts as the scheduled job left them: it never counts itself.
    assert 'data-test="kpi-sold">0.00<' in admin.page(f"/reports?from={DAY}&to={DAY}")
    reports.refresh(database)
    page = admin.page(f"/reports?from={DAY}&to={DAY}")
    assert 'data-test="kpi-sold">12.00<' in page and 'data-test="chart-day"' in page
    assert "Sales counted as of" in page
    csv_text = admin.client.get(f"/reports/products.csv?from={DAY}&to={DAY}").get_data(
        as_text=True)
    assert csv_text.splitlines()[0] == "SKU,Name,Category,Units,Returned,Amount"
    assert "WINE,WINE,,1,0,800" in csv_text
    admin.page("/reports/nothing.csv", 404)


def test_a_sale_the_counts_cannot_read_is_left_out_and_blocks_nothing(hub_db):
    sell(hub_db, 1, 9, result={**result(300, 0, []), "lines": [{"sku": "A"}]})  # no net
    sell(hub_db, 2, 9, result=result(300, 0, [("MILK", 3, None, 300)]))
    assert reports.refresh(hub_db) == 2  # both marked: the bad one is not tried again
    assert reports.summary(DAY, DAY)["sales"] == 1
    assert reports.refresh(hub_db) == 0
