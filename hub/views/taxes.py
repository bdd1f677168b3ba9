"""Tax classes and rates: list them, add a class or a rate, remove a rate or an unused
class."""
from flask import Blueprint, redirect, render_template, request, url_for

from .. import taxes
from ..accounts import may
from ..models import TaxClass, TaxRate
from . import checked_form, current_user, found, requires

bp = Blueprint("taxes", __name__)


def _page(errors=None, values=None, status=200):
    classes = list(TaxClass.select().order_by(TaxClass.code))
    rates = {}
    for rate in TaxRate.select().order_by(TaxRate.id):
        rates.setdefault(rate.tax_class_id, []).append(rate)
    return render_template("taxes.html", classes=classes, rates=rates, errors=errors or {},
                           values=values or {},
                           editable=may(current_user(), "catalog.edit")), status


@bp.get("/taxes")
@requires("catalog.view")
def page():
    return _page()


def _change(action):
    checked_form()
    try:
        action()
    except taxes.TaxError as exc:
        return _page(exc.fields, request.form.to_dict(), 400)
    return redirect(url_for("taxes.page"))


@bp.post("/taxes")
@requires("catalog.edit")
def add_class():
    return _change(lambda: taxes.add_class(current_user(), request.form.get("code"),
                                           request.form.get("name")))


@bp.post("/taxes/<code>/rates")
@requires("catalog.edit")
def add_rate(code):
    tax = found(TaxClass, TaxClass.code, code, "tax class")
    return _change(lambda: taxes.add_rate(current_user(), tax, request.form.get("rate_code"),
                                          request.form.get("rate"),
                                          request.form.get("rate_name")))


@bp.post("/taxes/rates/<int:rate_id>/delete")
@requires("catalog.edit")
def remove_rate(rate_id):
    rate = found(TaxRate, TaxRate.id, rate_id, "tax rate")
    return _change(lambda: taxes.remove_rate(current_user(), rate))


@bp.post("/taxes/<code>/delete")
@requires("catalog.edit")
def delete_class(code):
    tax = found(TaxClass, TaxClass.code, code, "tax class")
    return _change(lambda: taxes.delete_class(current_user(), tax))
