"""The reports and dashboard: a period's sales by day, hour, store, till, cashier, product
and category, tax by rate, returns, the customer figures and the campaigns' ROI, with
charts (Chart.js, vendored) and every table as CSV. They read the counts as the catalog
server's scheduled job last refreshed them (every 10 s), never counting sales inside a
request."""
import csv
import io

from flask import Blueprint, Response, abort, render_template, request

from .. import campaign_results, reports
from ..models import Store
from . import requires

bp = Blueprint("reports", __name__)
# Sales tables: (title, the dimension of reports.sales_by); the others: (title, columns
# as (field, heading, is money)), from the function of reports named after them.
TABLES = {
    "day": ("Sales by day", "day"), "hour": ("Sales by hour (UTC)", "hour"),
    "store": ("Sales by store", "store"), "till": ("Sales by till", "till"),
    "cashier": ("Sales by cashier", "cashier"),
}
SALES_COLUMNS = (("key", "", False), ("sales", "Sales", False), ("sold", "Sold", True),
                 ("refunds", "Refunds", False), ("refunded", "Refunded", True),
                 ("net", "Net", True), ("tax", "Tax", True))
OTHER = {
    "products": ("Top products", (("key", "SKU", False), ("name", "Name", False),
                                  ("category", "Category", False), ("units", "Units", False),
                                  ("returned", "Returned", False), ("amount", "Amount", True))),
    "categories": ("Sales by category", (("key", "Category", False), ("units", "Units", False),
                                         ("amount", "Amount", True))),
    "taxes": ("Tax by rate", (("key", "Rate", False), ("amount", "Tax", True))),
}
CAMPAIGNS = ("Campaigns of the period (all stores, since their launch)", (
    ("key", "Campaign", False), ("launched", "Launched", False), ("targeted", "Sent codes", False),
    ("redeemed", "Redeemed", False), ("revenue", "Revenue with codes", True),
    ("discounts", "Discounts", True), ("incremental", "Incremental revenue", True),
    ("roi", "ROI", False)))


def _filters():
    """(first day, last day, store or None) the request asks for, or ReportError."""
    start, end = reports.period(request.args.get("from"), request.args.get("to"))
    store = request.args.get("store") or None
    if store and not Store.select().where(Store.code == store).exists():
        raise reports.ReportError(f"no store has the code {store}", "store")
    return start, end, store


def _table(name, start, end, store):
    """(title, columns, rows) of the table ``name``."""
    if name in TABLES:
        title, dimension = TABLES[name]
        return title, SALES_COLUMNS, reports.sales_by(dimension, start, end, store)
    if name in OTHER:
        title, columns = OTHER[name]
        return title, columns, getattr(reports, name)(start, end, store)
    if name == "campaigns":
        return *CAMPAIGNS, campaign_results.report(start, end)
    abort(404, f"no report {name}: one of {', '.join((*TABLES, *OTHER, 'campaigns'))}")


@bp.get("/reports")
@requires("reports.view")
def page():
    stores = Store.select().order_by(Store.code)
    try:
        start, end, store = _filters()
    except reports.ReportError as exc:  # the filters as typed, the fault by its field
        return render_template("reports.html", errors={exc.field: str(exc)},
                               start=request.args.get("from", ""),
                               end=request.args.get("to", ""),
                               store=request.args.get("store", ""), stores=stores), 400
    tables = {name: _table(name, start, end, store)
              for name in (*TABLES, *OTHER, "campaigns")}
    return render_template("reports.html", errors={}, start=start, end=end, store=store,
                           stores=stores, tables=tables,
                           summary=reports.summary(start, end, store),
                           customers=reports.customer_figures(),
                           counted_at=reports.freshness())


@bp.get("/reports/<name>.csv")
@requires("reports.view")
def export(name):
    try:
        start, end, store = _filters()
    except reports.ReportError as exc:
        abort(400, f"{exc.field}: {exc}")
    title, columns, rows = _table(name, start, end, store)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([heading or "key" for _, heading, _ in columns])
    for row in rows:
        writer.writerow([row[field] for field, _, _ in columns])
    return Response(out.getvalue(), mimetype="text/csv", headers={
        "Content-Disposition": f"attachment; filename={name}-{start}-{end}.csv"})
