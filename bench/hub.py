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

import io  # noqa: E402
import random  # noqa: E402
import time  # noqa: E402
from datetime import timedelta  # noqa: E402

from bench.shop import (  # noqa: E402
    STORES,
    analyze,
    arguments,
    baseline_ms,
    bulk,
    data_line,
    each_database,
    finish,
    open_shop,
    page_lines,
    percentile,
    product_rows,
    tax_class,
    time_pages,
    worst_page,
)
from hub import stock_checkpoints  # noqa: E402
from hub.models import CustomerStats, Product, Sale, StockLevel, StockMovement  # noqa: E402
from shared.times import iso, now  # noqa: E402

OUT = ROOT / "bench" / "out" / "hub.json"
PAGE_P95_MS = 300
IMPORT_S = 60


# -- the data ----------------------------------------------------------------------------

def products_csv(products):
    out = io.StringIO()
    out.write("sku,name,barcodes,category,tags,tax_class,sold_by,unit_price,member_price\n")
    for n, (sku, name, code, category, sold_by, price) in enumerate(products):
        member = f"{(price * 9 // 10) / 100:.2f}" if n % 7 == 0 else ""
        out.write(f"{sku},{name},{code},{category},{'promo' if n % 11 == 0 else ''},"
                  f"{tax_class(n)},{sold_by},{price / 100:.2f},{member}\n")
    return out.getvalue().encode()


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


def measure(url, args, work):
    rng = random.Random(args.seed)
    result = {}
    app, database, admin = open_shop(url, work)
    client = admin.client
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
    analyze(database)
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

    baseline = baseline_ms(client, args.requests)
    with database.connection_context():
        ids = [rng.randint(1, len(products)) for _ in range(args.requests)]
        times = []
        for product_id in ids:
            started = time.perf_counter()
            Product.get_by_id(product_id)
            times.append((time.perf_counter() - started) * 1000)
    result["baseline"] = {"sign-in page p50_ms": round(baseline, 2),
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
    result["pages"] = time_pages(client, pages, args.requests, baseline)
    return result


def main():
    args = arguments(__doc__, "of 300,000 products, 200,000 customers, 2,000,000 sale lines")
    args.products = int(300_000 * args.scale)
    args.customers = int(200_000 * args.scale)
    args.lines = int(2_000_000 * args.scale) // 5 * 5
    runs = each_database(args, measure)
    targets = {}
    lines = [f"hub: {args.products:,} products, {args.customers:,} customers, "
             f"{args.lines:,} sale lines over {len(STORES)} stores; {args.requests} "
             "requests a page through the admin app"]
    for name, result in runs.items():
        lines.append(f"{data_line(name, result)}; checkpoints of every store in "
                     f"{result['checkpoint_all_s']} s")
        lines.append(f"{name}: import of {args.products:,} products: "
                     f"{result['import_new_s']} s new, {result['import_again_s']} s over them")
        lines.append(f"{name}: baselines: sign-in page p50 "
                     f"{result['baseline']['sign-in page p50_ms']} ms, product by primary "
                     f"key p50 {result['baseline']['product by primary key p50_ms']} ms")
        lines += page_lines(name, result["pages"])
        target, ok = worst_page(name, result["pages"], PAGE_P95_MS)
        targets[target] = ok
        slowest = max(result["import_new_s"], result["import_again_s"])
        targets[f"{name}: import of {args.products:,} products < {IMPORT_S} s "
                f"({slowest} s)"] = slowest < IMPORT_S
    finish(args, runs, lines, targets, OUT)


if __name__ == "__main__":
    main()
