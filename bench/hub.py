"""Benchmark of the hub's admin app on a big shop: product search, a product page, the
stock report, and the CSV import of the whole catalog.

Data (issue 5): 300,000 products with EAN-13 barcodes, 200,000 customers (the hub knows
them by their statistics, ``CustomerStats``, until issue 6 adds a customer table) and
2,000,000 sale lines (400,000 sales of 5 lines: ``Sale`` rows with small bodies and their
``sale`` movements) over 5 stores and the last 60 days, plus each store's receipts, some
adjustments and reorder points. Measured on SQLite (a temp file) and PostgreSQL (a
scratch database, tests/postgres.py). The products come in through the real import (the
admin app's upload and its job), timed end to end, on an empty catalog and again over it;
the rest is written in bulk straight into the tables.

Pages go through the Flask app (test client, signed in as an admin), templates and
queries included; each is asked once to warm it, then ``--requests`` times (its paths in
turn) for its p50 and p95, and set against
two baselines measured in the same process: the sign-in page (the app's cheapest page) and
a product read by primary key.

    .venv/bin/python bench/hub.py [--scale 1.0] [--requests 50] [--db sqlite|postgresql]
"""
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import argparse  # noqa: E402
import contextlib  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import random  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from datetime import timedelta  # noqa: E402

from peewee import PostgresqlDatabase  # noqa: E402

from bench.report import publish, target_lines  # noqa: E402
from hub import stock_checkpoints  # noqa: E402
from hub.accounts import create_user  # noqa: E402
from hub.app import create_app  # noqa: E402
from hub.models import (  # noqa: E402
    CustomerStats,
    Product,
    Sale,
    StockLevel,
    StockMovement,
    Store,
    TaxClass,
    TaxRate,
    insert_rows,
)
from shared.times import iso, now  # noqa: E402
from tests.hub.admin_client import PASSWORD, Admin  # noqa: E402
from tests.postgres import scratch_database  # noqa: E402

OUT = ROOT / "bench" / "out" / "hub.json"
PAGE_P95_MS = 300
IMPORT_S = 60
STORES = ("S01", "S02", "S03", "S04", "S05")
TAXES = {"std": ("vat19", "19"), "red": ("vat7", "7")}
CATEGORIES = ("Dairy", "Bakery", "Drinks", "Produce", "Frozen", "Household", "Snacks",
              "Meat", "Fish", "Pantry", "Baby", "Pets", "Beauty", "Health", "Deli")
WORDS = ("milk", "bread", "cheese", "butter", "apple", "orange", "juice", "water", "coffee",
         "tea", "sugar", "flour", "rice", "pasta", "tomato", "potato", "onion", "garlic",
         "chicken", "beef", "pork", "salmon", "tuna", "yogurt", "cream", "chocolate",
         "biscuit", "crisps", "soap", "shampoo", "tissue", "nappy", "dogfood", "catfood",
         "honey", "jam", "cereal", "oats", "nuts", "almond", "banana", "lemon", "lime",
         "pepper", "salt", "vinegar", "olive", "oil", "sauce", "soup")
ADJECTIVES = ("organic", "fresh", "light", "classic", "premium", "family", "mini", "bio",
              "smoked", "sweet", "spicy", "mild", "dark", "white", "red", "green", "whole",
              "sliced", "frozen", "local")
BRANDS = tuple(f"{a}{b}" for a in ("Al", "Bor", "Cas", "Dun", "Eri", "Fal", "Gor", "Hel",
                                    "Ima", "Jor", "Kel", "Lum", "Mor", "Nor", "Orl", "Pel",
                                    "Qua", "Ros", "Sel", "Tor")
               for b in ("den", "ric", "mar", "vik", "ton", "sen", "ley", "ora", "ino", "uss"))


def ean13(body12):
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body12))
    return body12 + str((10 - total % 10) % 10)


def percentile(values, p):
    ordered = sorted(values)
    return ordered[max(0, -(-len(ordered) * p // 100) - 1)]


# -- the data ----------------------------------------------------------------------------

def product_rows(count, rng):
    """(sku, name, barcode, category, sold_by, price) of ``count`` products."""
    rows = []
    for n in range(count):
        name = " ".join((rng.choice(BRANDS), rng.choice(ADJECTIVES), rng.choice(WORDS),
                         f"{rng.choice((100, 250, 500, 750, 1000))}{rng.choice('g ml'.split())}"))
        rows.append((f"P{n:06d}", name, ean13(f"40{n:010d}"), rng.choice(CATEGORIES),
                     "weight" if n % 50 == 0 else "unit", rng.randint(19, 4999)))
    return rows


def products_csv(products):
    out = io.StringIO()
    out.write("sku,name,barcodes,category,tags,tax_class,sold_by,unit_price,member_price\n")
    for n, (sku, name, code, category, sold_by, price) in enumerate(products):
        member = f"{(price * 9 // 10) / 100:.2f}" if n % 7 == 0 else ""
        out.write(f"{sku},{name},{code},{category},{'promo' if n % 11 == 0 else ''},"
                  f"{'red' if n % 3 == 0 else 'std'},{sold_by},{price / 100:.2f},{member}\n")
    return out.getvalue().encode()


def bulk(database, model, rows):
    """Rows (dicts) in chunks: COPY on PostgreSQL, one prepared INSERT on SQLite."""
    if not rows:
        return
    if isinstance(database, PostgresqlDatabase):
        columns = list(rows[0])
        fields = [model._meta.fields[name] for name in columns]
        sql = (f'COPY "{model._meta.table_name}" ('
               + ", ".join(f'"{field.column_name}"' for field in fields) + ") FROM STDIN")
        with database.atomic(), database.cursor().copy(sql) as copy:
            for row in rows:
                copy.write_row([json.dumps(row[name]) if name == "body" else row[name]
                                for name in columns])
        return
    with database.atomic():
        for start in range(0, len(rows), 50_000):
            insert_rows(model, rows[start:start + 50_000])


def generate(database, products, customers, lines, rng):
    """The shop's history: customers, sales and their movements, receipts, adjustments,
    reorder points. Returns counts."""
    skus = [row[0] for row in products]
    popular = skus[:max(1, len(skus) // 15)]
    bulk(database, CustomerStats, [
        {"customer": f"C{n:07d}", "visits": rng.randint(1, 80), "refunds": 0,
         "spent": rng.randint(100, 500_000), "points": rng.randint(0, 5000),
         "first_purchase": "2026-01-01T09:00:00+00:00",
         "last_purchase": "2026-11-30T18:00:00+00:00", "last_store": rng.choice(STORES)}
        for n in range(customers)])
    start = now() - timedelta(days=60)
    sales_count = lines // 5
    step = 60 * 86400 / max(1, sales_count)
    sales, moves, sold = [], [], {}
    for n in range(sales_count):
        store = STORES[n % len(STORES)]
        at = iso(start + timedelta(seconds=n * step))
        uuid = f"bench-{n:08d}"
        total = 0
        for position in range(1, 6):
            sku = rng.choice(popular) if rng.random() < 0.7 else rng.choice(skus)
            quantity = rng.randint(1, 3)
            total += quantity * 199
            moves.append({"store": store, "sku": sku, "quantity": -quantity, "unit": "pcs",
                          "kind": "sale", "reference": uuid, "line": position, "at": at})
            sold[store, sku] = sold.get((store, sku), 0) + quantity
        sales.append({"uuid": uuid, "store": store, "till": f"T{n % 4 + 1:02d}",
                      "seq": n // len(STORES) + 1, "kind": "sale", "completed_at": at,
                      "customer": f"C{rng.randrange(customers):07d}" if n % 3 == 0 else None,
                      "total": total, "body": {"lines": 5, "total": total},
                      "received_at": start + timedelta(seconds=n * step)})
    # Receipts at the start of the period cover what was sold, but for 1 in 200.
    opening = iso(start - timedelta(hours=1))
    receipts = [{"store": store, "sku": sku,
                 "quantity": quantity + rng.randint(0, 24) if n % 200 else quantity - 1,
                 "unit": "pcs", "kind": "receipt", "reference": f"PO-BENCH/{store}",
                 "line": n, "at": opening}
                for n, ((store, sku), quantity) in enumerate(sold.items())]
    adjustments = [{"store": rng.choice(STORES), "sku": rng.choice(skus),
                    "quantity": -rng.randint(1, 3), "unit": "pcs", "kind": "adjustment",
                    "reference": f"ADJ-B{n:05d}", "line": 1,
                    "at": iso(start + timedelta(days=rng.uniform(0, 60)))}
                   for n in range(lines // 200)]
    bulk(database, StockMovement, receipts + moves + adjustments)
    bulk(database, Sale, sales)
    levels = [{"store": store, "sku": sku, "reorder_point": rng.randint(5, 40),
               "safety_stock": 5}
              for store in STORES for sku in rng.sample(popular, min(len(popular), 2000))]
    bulk(database, StockLevel, levels)
    return {"customers": customers, "sales": len(sales), "sale_lines": len(moves),
            "receipts": len(receipts), "adjustments": len(adjustments),
            "reorder_points": len(levels)}


# -- the measurements --------------------------------------------------------------------

def timed_import(admin, client, data):
    """The products CSV uploaded through the admin app, until its job reports: seconds."""
    started = time.perf_counter()
    response = admin.submit("/products/import", {"file": (io.BytesIO(data), "products.csv")},
                            status=302)
    job = response.headers["Location"]
    while True:
        page = client.get(job, headers={"HX-Request": "true"}).get_data(as_text=True)
        if "import-progress" not in page:
            break
        time.sleep(0.05)
    elapsed = time.perf_counter() - started
    state = client.application.extensions["hub_jobs"].get(job.rsplit("/", 1)[1])
    assert state["report"] is not None and state["report"].ok, (state, page[:2000])
    return elapsed, state["report"]


def sample(client, paths, requests):
    """Each path in turn until ``requests`` answers: their times in ms."""
    times = []
    for n in range(requests):
        path = paths[n % len(paths)]
        started = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    return times


def summary(times, baseline_ms):
    p50, p95 = percentile(times, 50), percentile(times, 95)
    return {"p50_ms": round(p50, 1), "p95_ms": round(p95, 1),
            "p50_vs_baseline": round(p50 / baseline_ms, 1)}


def measure(url, args, work):
    rng = random.Random(args.seed)
    result = {}
    app = create_app({"database": url, "instance": str(Path(work) / "instance"),
                      "secret_key": "bench"})
    database = app.extensions["hub_db"]
    with database.connection_context():
        create_user("system", "admin", "Admin", "admin", PASSWORD)
        for code, (rate_code, rate) in TAXES.items():
            tax = TaxClass.create(code=code, name=code)
            TaxRate.create(tax_class=tax, code=rate_code, rate=rate, name=rate_code)
        for store in STORES:
            Store.create(code=store, name=f"Store {store}")
    client = app.test_client()
    admin = Admin(client)
    admin.sign_in("admin")
    products = product_rows(args.products, rng)
    data = products_csv(products)
    seconds, report = timed_import(admin, client, data)
    result["import_new_s"] = round(seconds, 1)
    assert report.created == len(products), report
    seconds, report = timed_import(admin, client, data)
    result["import_again_s"] = round(seconds, 1)
    assert report.updated == len(products), report
    started = time.perf_counter()
    with database.connection_context():
        result["data"] = generate(database, products, args.customers, args.lines, rng)
    result["generate_s"] = round(time.perf_counter() - started, 1)
    if isinstance(database, PostgresqlDatabase):  # the statistics autovacuum would keep
        with database.connection_context():
            database.execute_sql("ANALYZE")
    # The periodic job a deployed hub runs, then a day's trading since it.
    with database.connection_context():
        started = time.perf_counter()
        stock_checkpoints.refresh_all()
        result["checkpoint_all_s"] = round(time.perf_counter() - started, 1)
        later = iso(now())
        bulk(database, StockMovement, [
            {"store": STORES[n % len(STORES)], "sku": products[rng.randrange(len(products))][0],
             "quantity": -1, "unit": "pcs", "kind": "sale", "reference": f"later-{n}",
             "line": 1, "at": later} for n in range(args.lines // 100)])

    baseline = sample(client, ["/sign-in"], args.requests)
    baseline_ms = percentile(baseline, 50)
    with database.connection_context():
        ids = [rng.randint(1, len(products)) for _ in range(args.requests)]
        times = []
        for product_id in ids:
            started = time.perf_counter()
            Product.get_by_id(product_id)
            times.append((time.perf_counter() - started) * 1000)
    result["baseline"] = {"sign-in page p50_ms": round(baseline_ms, 2),
                          "product by primary key p50_ms": round(percentile(times, 50), 3)}
    some = [products[rng.randrange(len(products))] for _ in range(10)]
    searches = {"a word": ["/products?q=chocolate", "/products?q=salmon", "/products?q=Norric"],
                "two words": ["/products?q=organic+milk", "/products?q=smoked+salmon",
                              "/products?q=dark+chocolate"],
                "a SKU": [f"/products?q={row[0]}" for row in some],
                "a barcode": [f"/products?q={row[2]}" for row in some],
                "a rare word": ["/products?q=nosuchthing", "/products?q=Kelvik+spicy+soap"]}
    pages = {f"search: {name}": paths for name, paths in searches.items()}
    pages["product page"] = [f"/products/{row[0]}" for row in some]
    store = STORES[0]
    pages["stock report"] = [f"/inventory?store={store}"]
    pages["stock report, next page"] = [f"/inventory?store={store}&after=P100000"]
    pages["stock report, a word"] = [f"/inventory?store={store}&q=chocolate"]
    pages["stock report, flagged"] = [f"/inventory?store={store}&flagged=1"]
    result["pages"] = {}
    for name, paths in pages.items():
        for path in dict.fromkeys(paths):  # warm: each page once, as a running hub has
            client.get(path)
        result["pages"][name] = summary(sample(client, paths, args.requests), baseline_ms)
    return result


@contextlib.contextmanager
def sqlite_url(work):
    yield str(Path(work) / "hub.sqlite3")


@contextlib.contextmanager
def postgres_url(work):
    with scratch_database("tilly_bench") as url:
        yield url


DATABASES = {"SQLite": sqlite_url, "PostgreSQL": postgres_url}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0,
                        help="of 300,000 products, 200,000 customers, 2,000,000 sale lines")
    parser.add_argument("--requests", type=int, default=50, help="per page")
    parser.add_argument("--db", choices=["sqlite", "postgresql"], action="append",
                        help="only this database (repeatable); default both")
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()
    args.products = int(300_000 * args.scale)
    args.customers = int(200_000 * args.scale)
    args.lines = int(2_000_000 * args.scale) // 5 * 5
    runs = {}
    for name, store in DATABASES.items():
        if args.db and name.lower() not in args.db:
            continue
        with tempfile.TemporaryDirectory() as work, store(work) as url:
            runs[name] = measure(url, args, work)
    targets = {}
    lines = [f"hub: {args.products:,} products, {args.customers:,} customers, "
             f"{args.lines:,} sale lines over {len(STORES)} stores; {args.requests} "
             "requests a page through the admin app"]
    for name, result in runs.items():
        lines.append(f"{name}: data written in {result['generate_s']} s "
                     f"({', '.join(f'{k} {v:,}' for k, v in result['data'].items())}); "
                     f"checkpoints of every store in {result['checkpoint_all_s']} s")
        lines.append(f"{name}: import of {args.products:,} products: "
                     f"{result['import_new_s']} s new, {result['import_again_s']} s over them")
        lines.append(f"{name}: baselines: sign-in page p50 "
                     f"{result['baseline']['sign-in page p50_ms']} ms, product by primary "
                     f"key p50 {result['baseline']['product by primary key p50_ms']} ms")
        for page, figures in result["pages"].items():
            lines.append(f"{name}: {page}: p50 {figures['p50_ms']} ms, p95 "
                         f"{figures['p95_ms']} ms ({figures['p50_vs_baseline']}x the sign-in "
                         "page)")
        worst = max(result["pages"].items(), key=lambda item: item[1]["p95_ms"])
        targets[f"{name}: every page p95 < {PAGE_P95_MS} ms (worst: {worst[0]}, "
                f"{worst[1]['p95_ms']} ms)"] = worst[1]["p95_ms"] < PAGE_P95_MS
        slowest = max(result["import_new_s"], result["import_again_s"])
        targets[f"{name}: import of {args.products:,} products < {IMPORT_S} s "
                f"({slowest} s)"] = slowest < IMPORT_S
    report = {"scale": args.scale, "products": args.products, "customers": args.customers,
              "sale_lines": args.lines, "requests": args.requests, "runs": runs,
              "targets": targets}
    publish(report, lines + target_lines(targets), OUT)


if __name__ == "__main__":
    main()
