"""The catalog's pages: find and edit products, import and export the products CSV.

An import runs in a thread of its own while the page shows its progress (htmx polls the
job); the report lists every bad row, and a file with any is not imported at all.
"""
import threading
import uuid

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired

from shared.money import format_money

from ..accounts import may
from ..models import Product, Store, StorePrice, TaxClass
from ..products import (
    COLUMNS,
    CsvFileError,
    export_products,
    import_products,
    save_product,
    search_products,
)
from ..stores import set_store_price
from . import checked_form, current_user, requires

bp = Blueprint("catalog", __name__)


class ImportForm(FlaskForm):
    file = FileField("Products CSV", validators=[FileRequired("choose a CSV file")])


class Jobs:
    """Imports under way in this process: job id -> state, for the progress bar."""

    def __init__(self):
        self.lock = threading.Lock()
        self.jobs = {}

    def start(self, data, user, database):
        job = uuid.uuid4().hex
        self.jobs[job] = {"done": 0, "total": 0, "report": None, "error": None}

        def progress(done, total):
            with self.lock:
                self.jobs[job].update(done=done, total=total)

        def run():
            with database.connection_context():
                try:
                    report = import_products(data, user, progress=progress)
                except CsvFileError as exc:
                    self.jobs[job]["error"] = str(exc)
                else:
                    self.jobs[job]["report"] = report

        threading.Thread(target=run, name=f"import-{job}", daemon=True).start()
        return job

    def get(self, job):
        with self.lock:
            return dict(self.jobs[job]) if job in self.jobs else None


@bp.get("/products")
@requires("catalog.view")
def products():
    query = request.args.get("q", "")
    found = search_products(query)
    template = "products_rows.html" if request.headers.get("HX-Request") else "products.html"
    return render_template(template, products=found, query=query)


@bp.route("/products/new", methods=["GET", "POST"])
@bp.route("/products/<sku>", methods=["GET", "POST"])
@requires("catalog.view")
def product(sku=None):
    item = Product.get_or_none(Product.sku == sku) if sku else None
    if sku and item is None:
        abort(404, f"No product has the SKU {sku}.")
    values = _values_of(item, {name: "" for name in COLUMNS})
    errors = {}
    if request.method == "POST":
        if not _may_edit():
            abort(403, "Your role may not change the catalog (catalog.edit).")
        checked_form()
        values = {name: request.form.get(name, "") for name in COLUMNS}
        if item:
            values["sku"] = item.sku  # a product's SKU does not change
        saved, errors = save_product(current_user(), values)
        if saved:
            return redirect(url_for("catalog.product", sku=saved.sku))
    return _product_page(item, values, errors)


def _product_page(item, values, errors, price_errors=None):
    taxes = [tax.code for tax in TaxClass.select().order_by(TaxClass.code)]
    own = {price.store_id: price for price in StorePrice.select().where(
        StorePrice.product == item)} if item else {}
    store_prices = [(store, own.get(store.id)) for store in Store.select().order_by(Store.code)]
    return render_template("product.html", item=item, values=values, errors=errors,
                           taxes=taxes, editable=_may_edit(), store_prices=store_prices,
                           price_errors=price_errors or {}, form=FlaskForm()), \
        400 if errors or price_errors else 200


@bp.post("/products/<sku>/prices")
@requires("catalog.edit")
def store_price(sku):
    """A product's own prices in one store, or back to the catalog's."""
    item = Product.get_or_none(Product.sku == sku)
    store = Store.get_or_none(Store.code == request.form.get("store", ""))
    if item is None or store is None:
        abort(404, "No such product or store.")
    checked_form()
    errors = set_store_price(current_user(), store, item, request.form.get("unit_price"),
                             request.form.get("member_price"))
    if errors:
        values = {name: "" for name in COLUMNS}
        return _product_page(item, _values_of(item, values), {},
                             {store.code: "; ".join(errors.values())})
    return redirect(url_for("catalog.product", sku=sku) + "#store-prices")


def _values_of(item, values):
    """The product form's values for ``item`` (none: ``values`` as they are)."""
    if item:
        values.update(sku=item.sku, name=item.name, category=item.category,
                      tags="|".join(item.tags), tax_class=item.tax_class,
                      sold_by=item.sold_by, unit_price=_money(item.unit_price),
                      member_price=_money(item.member_price), rcn_item=item.rcn_item or "",
                      barcodes="|".join(sorted(code.code for code in item.barcodes)))
    return values


def _money(value):
    return "" if value is None else format_money(value)


def _may_edit():
    return may(current_user(), "catalog.edit")


@bp.route("/products/import", methods=["GET", "POST"])
@requires("catalog.edit")
def import_page():
    form = ImportForm()
    if form.validate_on_submit():
        data = form.file.data.read()
        job = current_app.extensions["hub_jobs"].start(data, current_user().username,
                                                      current_app.extensions["hub_db"])
        return redirect(url_for("catalog.import_status", job=job))
    error = "; ".join(message for messages in form.errors.values() for message in messages)
    return render_template("import.html", form=form, error=error or None), \
        400 if form.errors else 200


@bp.get("/products/import/<job>")
@requires("catalog.edit")
def import_status(job):
    state = current_app.extensions["hub_jobs"].get(job)
    if state is None:
        abort(404, "No such import: it may have finished before the hub restarted.")
    template = "import_status.html" if request.headers.get("HX-Request") \
        else "import_job.html"
    return render_template(template, job=job, state=state)


@bp.get("/products.csv")
@requires("catalog.view")
def export():
    return Response(export_products(), mimetype="text/csv", headers={
        "Content-Disposition": "attachment; filename=products.csv"})
