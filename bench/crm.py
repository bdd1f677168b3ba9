"""Benchmark of the hub's CRM on a big shop: the RFM recompute, the reports' count of every
sale, and the customer page, the dashboard and a segment's live count.

Data (issue 6): 200,000 customers with loyalty cards and 2,000,000 sale lines (400,000
sales and refunds of 1 to 9 lines, bodies as a till sends them) over 5 stores and the last
year, 30,000 products in 15 categories. Seven in ten sales name a customer: a few regulars
make many visits and most customers few (Pareto weights), each within a time of their own
(recent for most, long lapsed for some), mostly in a home store; one customer in ten never
bought. Customer statistics and loyalty points are what the ingest would have made of those
sales. Everything is written in bulk straight into the tables (COPY on PostgreSQL).

Timed: ``segments.recompute`` (every customer's RFM scores) and ``reports.refresh`` (every
sale counted into the report tables), each also as a multiple of a plain read of what it
reads (the statistics; the sales' bodies), then pages through the Flask app (test client,
signed in as an admin), each asked once to warm it and then ``--requests`` times: the
customer page of customers with purchases, the dashboard (the reports page: its default
30 days, and a quarter of one store), the live count of segments by a few rule sets and
the segments page, set against the sign-in page measured in the same process; and, not a
target, the dashboard of the whole year, 5 times. On SQLite (a temp file) and PostgreSQL
(a scratch database, tests/postgres.py).

    .venv/bin/python bench/crm.py [--scale 1.0] [--requests 50] [--db sqlite|postgresql]
"""
import bisect
import itertools
import random
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the project's packages, run as a script

from bench import shop  # noqa: E402
from hub import customers, reports, segments  # noqa: E402
from hub.models import (  # noqa: E402
    Customer,
    CustomerStats,
    LoyaltyEntry,
    Product,
    Sale,
)
from shared.times import iso, now  # noqa: E402
from tests.hub.admin_client import TOKEN  # noqa: E402

OUT = ROOT / "bench" / "out" / "crm.json"
PAGE_P95_MS = 300
RFM_S = 60
DAYS = 365
CHUNK = 20_000  # sales built and written at a time
CUSTOMER_SHARE = 0.7  # of the sales, those that name a customer
FIRST = ("Anna", "Ben", "Clara", "David", "Emma", "Felix", "Greta", "Hugo", "Ida", "Jonas",
         "Karla", "Lukas", "Mia", "Noah", "Olga", "Paul", "Rosa", "Simon", "Tara", "Zoë")
LAST = ("Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker",
        "Schulz", "Hoffmann", "Koch", "Richter", "Klein", "Wolf", "Neumann", "O'Neil")
RATES = {code: int(rate) for code, (_, rate) in shop.TAXES.items()}
RATE_IDS = {code: rate_id for code, (rate_id, _) in shop.TAXES.items()}


# -- the data ----------------------------------------------------------------------------

def customer_rows(count, rng):
    rows = []
    for n in range(count):
        name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        email = f"{name.split()[0].lower()}.{n}@example.com"
        phone = f"+49 30 {n:07d}"
        postcode = f"{10000 + n % 90000}"
        rows.append({"code": f"C{n:06d}", "name": name, "email": email, "phone": phone,
                     "address": f"{n % 200 + 1} Main Street", "postcode": postcode,
                     "card": f"TC{n:010d}", "member": True,
                     "email_marketing": n % 3 == 0, "sms_marketing": n % 7 == 0,
                     "name_key": customers.name_key(name), "email_key": email,
                     "phone_key": customers.phone_key(phone),
                     "postcode_key": customers.postcode_key(postcode),
                     "created_at": now(), "updated_at": now()})
    return rows


def shoppers(count, sales, rng):
    """Who makes each sale and when: [(seconds into the year, customer number or None)],
    in time order. Nine customers in ten buy: once each, and more by Pareto weights; each
    within a time of their own that ends a while ago (most recently)."""
    buyers = rng.sample(range(count), count * 9 // 10)
    weights = list(itertools.accumulate(rng.paretovariate(1.2) for _ in buyers))
    span = DAYS * 86400
    ends = {n: span - min(span, int(rng.expovariate(1 / 40) * 86400)) for n in buyers}
    starts = {n: rng.randint(0, ends[n]) for n in buyers}
    repeat = max(0, int(sales * CUSTOMER_SHARE) - len(buyers))
    who = buyers + [buyers[bisect.bisect(weights, rng.random() * weights[-1])]
                    for _ in range(repeat)]
    out = [(rng.randint(starts[n], ends[n]), n) for n in who[:sales]]
    out += [(rng.randint(0, span), None) for _ in range(sales - len(out))]
    out.sort(key=lambda item: item[0])
    return out


def sale_body(uuid, store, till, seq, kind, customer, at, picked):
    """A till's sale message body: lines, payment and the priced result, tax included."""
    lines, priced, taxes = [], [], {}
    for position, (sku, sold_by, price, tax, amount) in enumerate(picked, 1):
        qty, grams = (None, amount) if sold_by == "weight" else (amount, None)
        base = price * amount // 1000 if grams else price * amount
        discount = base // 10 if position % 4 == 0 else 0
        net = base - discount
        rate = RATE_IDS[tax]
        line_tax = net * RATES[tax] // (100 + RATES[tax])
        taxes[rate] = taxes.get(rate, 0) + line_tax
        lines.append({"position": position, "sku": sku, "qty": qty, "weight_g": grams,
                      "unit_price": price, "price_override": None, "barcode": None,
                      "voided": False})
        priced.append({"line": position, "sku": sku, "qty": qty, "weight_g": grams,
                       "unit_price": price, "base": base,
                       "discounts": [{"promotion": "MEMBER10", "amount": discount}]
                       if discount else [], "net": net,
                       "taxes": [{"id": rate, "amount": line_tax}]})
    total = sum(line["net"] for line in priced)
    return {"uuid": uuid, "till": till, "seq": seq, "ref": f"{till}-{seq:06d}", "kind": kind,
            "cashier": f"{store}-K{till[-1]}{int(at[11:13]) // 14}", "customer": customer,
            "opened_at": at, "completed_at": at, "lines": lines,
            "payments": [{"type": "card" if seq % 3 else "cash", "amount": total}],
            "result": {"subtotal": sum(line["base"] for line in priced), "total": total,
                       "tax_total": sum(taxes.values()),
                       "taxes": [{"id": rate, "amount": amount}
                                 for rate, amount in sorted(taxes.items())],
                       "lines": priced, "applied": []},
            "rounding": 0, "change": 0, "catalog": None, "coupons": [],
            "manual_discount": None}


class Ledger:
    """What the ingest makes of a customer's sales: statistics and points."""

    def __init__(self):
        self.stats, self.points = {}, []

    def record(self, store, body):
        code, at, total = body["customer"], body["completed_at"], body["result"]["total"]
        refund = body["kind"] == "refund"
        points = -(total // 100) if refund else total // 100
        row = self.stats.setdefault(code, {
            "customer": code, "visits": 0, "refunds": 0, "spent": 0, "points": 0,
            "first_purchase": None, "last_purchase": None, "last_store": None})
        row["refunds" if refund else "visits"] += 1
        row["spent"] += -total if refund else total
        row["points"] += points
        if not refund:
            row["first_purchase"] = row["first_purchase"] or at
            row["last_purchase"], row["last_store"] = at, store  # in time order
        if points:
            self.points.append({"customer": code, "sale": body["uuid"], "store": store,
                                "points": points, "at": at})


def generate(database, products, customer_count, lines, rng):
    """Customers, their sales and what the ingest made of them. Returns counts."""
    shop.bulk(database, Product, [
        {"sku": sku, "name": name, "category": category, "tags": [],
         "tax_class": shop.tax_class(n),
         "sold_by": sold_by, "unit_price": price}
        for n, (sku, name, _, category, sold_by, price) in enumerate(products)])
    shop.bulk(database, Customer, customer_rows(customer_count, rng))
    catalog = [(sku, sold_by, price, shop.tax_class(n))
               for n, (sku, _, _, _, sold_by, price) in enumerate(products)]
    popular = catalog[:max(1, len(catalog) // 15)]
    sizes, left = [], lines
    while left:
        sizes.append(min(rng.randint(1, 9), left))
        left -= sizes[-1]
    start = now().replace(microsecond=0) - timedelta(days=DAYS)
    ledger, seqs, counts = Ledger(), {}, {"sales": 0, "refunds": 0}
    homes = {}
    made = shoppers(customer_count, len(sizes), rng)
    for first in range(0, len(made), CHUNK):
        rows = []
        for n, (seconds, shopper) in enumerate(made[first:first + CHUNK], first):
            if shopper is None:
                store = shop.STORES[n % len(shop.STORES)]
            else:
                home = homes.setdefault(shopper, rng.choice(shop.STORES))
                store = home if rng.random() < 0.8 else rng.choice(shop.STORES)
            till = f"T{n % 4 + 1:02d}"
            seq = seqs[store, till] = seqs.get((store, till), 0) + 1
            refund = shopper is not None and rng.random() < 0.01
            picked = [(*item, rng.randint(150, 1500) if item[1] == "weight"
                       else rng.randint(1, 3))
                      for item in (rng.choice(popular) if rng.random() < 0.7
                                   else rng.choice(catalog) for _ in range(sizes[n]))]
            moment = start + timedelta(seconds=seconds)
            at = iso(moment)
            uuid = f"bench-{n:08d}"
            code = None if shopper is None else f"C{shopper:06d}"
            body = sale_body(uuid, store, till, seq, "refund" if refund else "sale", code,
                             at, picked)
            if code:
                ledger.record(store, body)
            counts["refunds" if refund else "sales"] += 1
            rows.append({"uuid": uuid, "store": store, "till": till, "seq": seq,
                         "kind": body["kind"], "completed_at": at, "customer": code,
                         "total": body["result"]["total"], "body": body,
                         "received_at": moment})
        shop.bulk(database, Sale, rows)
    shop.bulk(database, CustomerStats, list(ledger.stats.values()))
    shop.bulk(database, LoyaltyEntry, ledger.points)
    return {"customers": customer_count, "buyers": len(ledger.stats), **counts,
            "sale_lines": sum(sizes), "loyalty_entries": len(ledger.points)}


# -- the measurements --------------------------------------------------------------------

def timed(work, *args):
    """(``work(*args)``, its seconds)."""
    started = time.perf_counter()
    done = work(*args)
    return done, time.perf_counter() - started


def read_all(query):
    """Every row of ``query`` fetched, as the jobs read them: the floor of their time."""
    return sum(1 for _ in query.tuples().iterator())


def jobs(database):
    """The RFM recompute and the reports' count of every sale, each with a plain read of
    what it reads as its baseline."""
    with database.connection_context():
        _, floor = timed(read_all, CustomerStats.select(
            CustomerStats.customer, CustomerStats.visits, CustomerStats.spent,
            CustomerStats.last_purchase))
        scored, rfm = timed(segments.recompute, database)
        _, bodies = timed(read_all, Sale.select(Sale.uuid, Sale.kind, Sale.body))
        counted, refresh = timed(reports.refresh, database)
    assert counted == Sale.select().count(), counted
    return {"rfm_s": round(rfm, 1), "rfm_customers": scored,
            "stats_read_s": round(floor, 2), "rfm_vs_read": round(rfm / floor, 1),
            "refresh_s": round(refresh, 1), "sales_counted": counted,
            "sales_read_s": round(bodies, 1), "refresh_vs_read": round(refresh / bodies, 1)}


def segment_forms(client):
    """Rule sets as the segment page's form posts them while they are written."""
    token = TOKEN.search(client.get("/segments").get_data(as_text=True))[1]
    rules = ({"min_spent": "100.00", "active_days": "30"},
             {"category": "Dairy", "min_visits": "3"},
             {"rfm": "champions"},
             {"store": "S02", "lapsed_days": "90", "max_visits": "2"},
             {"category": "Baby", "store": "S04", "min_spent": "50.00"})
    return [("/segments/count", {"csrf_token": token, **rule}) for rule in rules]


def measure(url, args, work):
    rng = random.Random(args.seed)
    result = {}
    app, database, admin = shop.open_shop(url, work)
    client = admin.client
    products = shop.product_rows(args.products, rng)
    with database.connection_context():
        result["data"], seconds = timed(generate, database, products, args.customers,
                                        args.lines, rng)
    result["generate_s"] = round(seconds, 1)
    shop.analyze(database)
    result["jobs"] = jobs(database)
    shop.analyze(database)  # the report and score tables, as autovacuum would by now
    baseline = shop.baseline_ms(client, args.requests)
    result["baseline"] = {"sign-in page p50_ms": round(baseline, 2)}
    with database.connection_context():
        regulars = [code for (code,) in CustomerStats.select(CustomerStats.customer)
                    .order_by(CustomerStats.visits.desc()).limit(3).tuples()]
        some = [code for (code,) in CustomerStats.select(CustomerStats.customer)
                .order_by(CustomerStats.customer).tuples()]
    picked = regulars + rng.sample(some, 17)
    pages = {
        "customer page": [f"/customers/{code}" for code in picked],
        "dashboard (the last 30 days)": ["/reports"],
        "dashboard, a quarter in one store": [
            f"/reports?from={date.today() - timedelta(days=90)}&store=S03"],
        "segment live count": segment_forms(client),
        "segments page": ["/segments"],
    }
    result["pages"] = shop.time_pages(client, pages, args.requests, baseline)
    # Beyond the target: a year of every store adds up every product's 1.7 M days.
    result["year"] = shop.time_pages(client, {"dashboard, the whole year": [
        f"/reports?from={date.today() - timedelta(days=DAYS)}"]}, 5, baseline)
    return result


def main():
    args = shop.arguments(__doc__,
                          "of 200,000 customers, 2,000,000 sale lines, 30,000 products")
    args.products = int(30_000 * args.scale)
    args.customers = int(200_000 * args.scale)
    args.lines = int(2_000_000 * args.scale)
    runs = shop.each_database(args, measure)
    targets = {}
    lines = [f"crm: {args.customers:,} customers, {args.lines:,} sale lines, "
             f"{args.products:,} products over {len(shop.STORES)} stores and {DAYS} days; "
             f"{args.requests} requests a page through the admin app"]
    for name, result in runs.items():
        jobs_done = result["jobs"]
        lines.append(shop.data_line(name, result))
        lines.append(f"{name}: RFM recompute of {jobs_done['rfm_customers']:,} customers: "
                     f"{jobs_done['rfm_s']} s ({jobs_done['rfm_vs_read']}x reading their "
                     f"statistics, {jobs_done['stats_read_s']} s)")
        lines.append(f"{name}: reports' count of {jobs_done['sales_counted']:,} sales: "
                     f"{jobs_done['refresh_s']} s ({jobs_done['refresh_vs_read']}x reading "
                     f"their bodies, {jobs_done['sales_read_s']} s)")
        lines.append(f"{name}: baseline: sign-in page p50 "
                     f"{result['baseline']['sign-in page p50_ms']} ms")
        lines += shop.page_lines(name, result["pages"])
        lines += [f"{line} (5 requests; not a target)"
                  for line in shop.page_lines(name, result["year"])]
        targets[f"{name}: RFM recompute < {RFM_S} s ({jobs_done['rfm_s']} s)"] = \
            jobs_done["rfm_s"] < RFM_S
        target, ok = shop.worst_page(name, result["pages"], PAGE_P95_MS)
        targets[target] = ok
    shop.finish(args, runs, lines, targets, OUT)


if __name__ == "__main__":
    main()
