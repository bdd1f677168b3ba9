"""What the hub's benchmarks share (``bench/hub.py``, ``bench/crm.py``): a big shop's
products, bulk writes (COPY on PostgreSQL), the admin app signed in on a scratch database
of each kind, and pages timed through it against the sign-in page as a baseline."""
import argparse
import contextlib
import json
import tempfile
import time
from pathlib import Path

from peewee import JSONField, PostgresqlDatabase

from bench.report import publish, target_lines
from hub.accounts import create_user
from hub.app import create_app
from hub.models import Store, TaxClass, TaxRate, insert_rows
from tests.hub.admin_client import PASSWORD, Admin
from tests.postgres import scratch_database

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


def product_rows(count, rng):
    """(sku, name, barcode, category, sold_by, price) of ``count`` products."""
    rows = []
    for n in range(count):
        name = " ".join((rng.choice(BRANDS), rng.choice(ADJECTIVES), rng.choice(WORDS),
                         f"{rng.choice((100, 250, 500, 750, 1000))}{rng.choice('g ml'.split())}"))
        rows.append((f"P{n:06d}", name, ean13(f"40{n:010d}"), rng.choice(CATEGORIES),
                     "weight" if n % 50 == 0 else "unit", rng.randint(19, 4999)))
    return rows


def tax_class(n):
    """The tax class of the n-th product: one in three at the reduced rate."""
    return "red" if n % 3 == 0 else "std"


def bulk(database, model, rows):
    """Rows (dicts) in chunks: COPY on PostgreSQL, one prepared INSERT on SQLite; the
    model's defaults fill the fields the rows leave out, as ``insert_rows`` does."""
    if not rows:
        return
    if isinstance(database, PostgresqlDatabase):
        columns = list(rows[0])
        defaults = {field.name: field.default for field in model._meta.sorted_fields
                    if field.name not in columns and field.default is not None}
        rows = ({**row, **{name: value() if callable(value) else value
                           for name, value in defaults.items()}} for row in rows)
        columns += list(defaults)
        fields = [model._meta.fields[name] for name in columns]
        sql = (f'COPY "{model._meta.table_name}" ('
               + ", ".join(f'"{field.column_name}"' for field in fields) + ") FROM STDIN")
        as_json = [isinstance(field, JSONField) for field in fields]
        with database.atomic(), database.cursor().copy(sql) as copy:
            for row in rows:
                copy.write_row([json.dumps(row[name]) if is_json else row[name]
                                for name, is_json in zip(columns, as_json, strict=True)])
        return
    with database.atomic():
        for start in range(0, len(rows), 50_000):
            insert_rows(model, rows[start:start + 50_000])


def analyze(database):
    """On PostgreSQL, the statistics and visibility map autovacuum would have made by
    then (without them, an index that holds a report's figures is no faster)."""
    if isinstance(database, PostgresqlDatabase):
        with database.connection_context():
            database.execute_sql("VACUUM ANALYZE")


def open_shop(url, work):
    """The admin app on ``url`` with the shop's taxes and stores: (app, its database, a
    signed-in admin)."""
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
    admin = Admin(app.test_client())
    admin.sign_in("admin")
    return app, database, admin


def ask(client, request):
    """A GET of a path, or a POST of (path, form data): its time in ms."""
    path, form = request if isinstance(request, tuple) else (request, None)
    started = time.perf_counter()
    response = client.post(path, data=form) if form is not None else client.get(path)
    elapsed = (time.perf_counter() - started) * 1000
    assert response.status_code == 200, (path, response.status_code)
    return elapsed


def sample(client, requests, count):
    """Each of ``requests`` (see ``ask``) in turn until ``count`` answers: their times."""
    return [ask(client, requests[n % len(requests)]) for n in range(count)]


def summary(times, baseline_ms):
    p50, p95 = percentile(times, 50), percentile(times, 95)
    return {"p50_ms": round(p50, 1), "p95_ms": round(p95, 1),
            "p50_vs_baseline": round(p50 / baseline_ms, 1)}


def baseline_ms(client, requests):
    """The sign-in page's p50: the app's cheapest page, what every page is set against."""
    return percentile(sample(client, ["/sign-in"], requests), 50)


def time_pages(client, pages, count, baseline):
    """{name: p50, p95 and p50 against ``baseline``} of ``pages`` ({name: requests}), each
    request first asked once to warm it, as a running hub has."""
    timed = {}
    for name, requests in pages.items():
        for request in requests:
            ask(client, request)
        timed[name] = summary(sample(client, requests, count), baseline)
    return timed


def page_lines(name, pages):
    return [f"{name}: {page}: p50 {figures['p50_ms']} ms, p95 {figures['p95_ms']} ms "
            f"({figures['p50_vs_baseline']}x the sign-in page)"
            for page, figures in pages.items()]


def data_line(name, result):
    return (f"{name}: data written in {result['generate_s']} s "
            f"({', '.join(f'{k} {v:,}' for k, v in result['data'].items())})")


def worst_page(name, pages, target_ms):
    """A target line's name and whether every page's p95 is under ``target_ms``."""
    page, figures = max(pages.items(), key=lambda item: item[1]["p95_ms"])
    return (f"{name}: every page p95 < {target_ms} ms (worst: {page}, "
            f"{figures['p95_ms']} ms)", figures["p95_ms"] < target_ms)


@contextlib.contextmanager
def sqlite_url(work):
    yield str(Path(work) / "hub.sqlite3")


@contextlib.contextmanager
def postgres_url(work):
    with scratch_database("tilly_bench") as url:
        yield url


DATABASES = {"SQLite": sqlite_url, "PostgreSQL": postgres_url}


def arguments(doc, scale_help):
    """The benchmarks' command line: --scale, --requests, --db (repeatable), --seed."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help=scale_help)
    parser.add_argument("--requests", type=int, default=50, help="per page")
    parser.add_argument("--db", choices=["sqlite", "postgresql"], action="append",
                        help="only this database (repeatable); default both")
    parser.add_argument("--seed", type=int, default=5)
    return parser.parse_args()


def each_database(args, measure):
    """{database name: ``measure(url, args, work)``} on a scratch database of each kind
    ``args.db`` asks for, in a temporary folder ``work``."""
    runs = {}
    for name, url_of in DATABASES.items():
        if args.db and name.lower() not in args.db:
            continue
        with tempfile.TemporaryDirectory() as work, url_of(work) as url:
            runs[name] = measure(url, args, work)
    return runs


def finish(args, runs, lines, targets, out):
    """The run's lines printed, with a PASS/FAIL line per target, and kept as JSON."""
    report = {"scale": args.scale, "products": args.products, "customers": args.customers,
              "sale_lines": args.lines, "requests": args.requests, "runs": runs,
              "targets": targets}
    publish(report, lines + target_lines(targets), out)
