"""The stores' pages: each store's header and pricing set-up, its catalog versions, and
publishing the hub's catalog to its tills."""
from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_wtf import FlaskForm

from ..accounts import may
from ..catalog_versions import CatalogRefused, CatalogVersion
from ..models import Store
from ..stores import (
    CHOICES,
    STORE_FIELDS,
    publish,
    save_store,
    store_values,
    unpublished_changes,
)
from . import checked_form, current_user, found, requires

bp = Blueprint("stores", __name__)
NEW_STORE = {"currency_code": "EUR", "currency_symbol": "€", "exponent": "2",
             "tax_mode": "inclusive", "tax_rounding": "total", "rounding": "half_up",
             "cash_increment": "1"}


@bp.get("/stores")
@requires("catalog.view")
def stores():
    rows = [(store, CatalogVersion.select().where(CatalogVersion.store == store.code)
             .order_by(CatalogVersion.version.desc()).first())
            for store in Store.select().order_by(Store.code)]
    return render_template("stores.html", rows=rows)


@bp.route("/stores/new", methods=["GET", "POST"])
@bp.route("/stores/<code>", methods=["GET", "POST"])
@requires("catalog.view")
def store(code=None):
    item = found(Store, Store.code, code, "store has the code") if code else None
    values = store_values(item) if item else {**dict.fromkeys(STORE_FIELDS, ""), **NEW_STORE}
    errors = {}
    if request.method == "POST":
        if not may(current_user(), "stores.manage"):
            abort(403, "Your role may not change stores (stores.manage).")
        checked_form()
        values = {name: request.form.get(name, "") for name in STORE_FIELDS}
        saved, errors = save_store(current_user(), values, item)
        if saved:
            return redirect(url_for("stores.store", code=saved.code))
    versions = list(CatalogVersion.select(CatalogVersion.version, CatalogVersion.created_at,
                                          CatalogVersion.published_at)
                    .where(CatalogVersion.store == code).order_by(
                        CatalogVersion.version.desc()).limit(20)) if item else []
    return render_template(
        "store.html", item=item, values=values, errors=errors, choices=CHOICES,
        versions=versions, changed=item and unpublished_changes(item),
        editable=may(current_user(), "stores.manage"), form=FlaskForm(),
        message=request.args.get("message")), 400 if errors else 200


@bp.post("/stores/<code>/publish")
@requires("catalog.publish")
def publish_store(code):
    item = found(Store, Store.code, code, "store has the code")
    checked_form()
    try:
        version = publish(current_app.extensions["hub_db"], item, current_user())
    except CatalogRefused as exc:
        abort(409, f"The tills could not load this catalog, so it was not published: {exc}")
    message = f"Version {version} is on its way to the tills." if version else \
        "The tills have this catalog already: nothing changed since the last version."
    return redirect(url_for("stores.store", code=code, message=message))
