"""The promotions' pages: list them by status, write one of any type of the pricing
contract for some stores and dates, and preview it on a sample basket before saving."""
from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_wtf import FlaskForm

from ..accounts import may
from ..models import Promotion, Store
from ..promotions import FORM_FIELDS, TYPES, check, delete, form_values, preview, save, status
from . import checked_form, current_user, found, requires

bp = Blueprint("promotions", __name__)


def _may_edit():
    return may(current_user(), "promotions.edit")


@bp.get("/promotions")
@requires("catalog.view")
def promotions():
    shown = request.args.get("status", "")
    rows = [(promotion, status(promotion)) for promotion in
            Promotion.select().order_by(Promotion.code)]
    rows = [(promotion, state) for promotion, state in rows if state == shown or not shown]
    return render_template("promotions.html", rows=rows, shown=shown, types=TYPES)


@bp.route("/promotions/new", methods=["GET", "POST"])
@bp.route("/promotions/<code>", methods=["GET", "POST"])
@requires("catalog.view")
def promotion(code=None):
    item = found(Promotion, Promotion.code, code, "promotion has the code") if code else None
    values = form_values(item) if item else {**dict.fromkeys(FORM_FIELDS, ""),
                                             "type": request.args.get("type", "percent_off")}
    errors = {}
    if request.method == "POST":
        if not _may_edit():
            abort(403, "Your role may not change promotions (promotions.edit).")
        checked_form()
        values = {name: request.form.get(name, "") for name in FORM_FIELDS}
        saved, errors = save(current_user(), values, item)
        if saved:
            return redirect(url_for("promotions.promotion", code=saved.code))
    return render_template("promotion.html", item=item, values=values, errors=errors,
                           types=TYPES, stores=list(Store.select().order_by(Store.code)),
                           editable=_may_edit(), form=FlaskForm(),
                           state=item and status(item)), 400 if errors else 200


@bp.post("/promotions/<code>/delete")
@requires("promotions.edit")
def remove(code):
    item = found(Promotion, Promotion.code, code, "promotion has the code")
    checked_form()
    try:
        delete(current_user(), item)
    except ValueError as exc:
        abort(409, str(exc))
    return redirect(url_for("promotions.promotions"))


@bp.post("/promotions/preview")
@requires("catalog.view")
def preview_basket():
    """The form as it stands (saved or not) priced on the sample basket: a page part."""
    checked_form()
    values = {name: request.form.get(name, "") for name in FORM_FIELDS}
    store = Store.get_or_none(Store.code == request.form.get("preview_store", ""))
    fields, errors = check(values)
    result, problem = None, None
    if errors:
        problem = "Correct the promotion first: " + "; ".join(
            f"{name}: {message}" for name, message in errors.items())
    elif store is None:
        problem = "Choose the store whose prices and taxes the preview uses."
    else:
        result, problem = preview(Promotion(**fields), store,
                                  request.form.get("basket", ""),
                                  member=request.form.get("member") == "on",
                                  coupons=[request.form["try_coupon"].strip()]
                                  if request.form.get("try_coupon", "").strip() else [])
    exponent = store.details.get("currency", {}).get("exponent", 2) if store else 2
    # 200 either way: it is a part of the page, and htmx swaps in only a success.
    return render_template("promotion_preview.html", result=result, problem=problem,
                           exponent=exponent)
