"""Vouchers and store credit: issue vouchers (a printable code), find them with their
balance and history, void one; see a customer's store credit and adjust it with a reason.
Every change goes through ``hub/tenders.py``, which writes its ledger entry and audits it.
"""
import uuid

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_wtf import FlaskForm

from shared.money import parse_money

from .. import tenders
from ..accounts import may
from ..models import StoreCredit, Voucher
from . import checked_form, current_user, requires

bp = Blueprint("tenders", __name__)


def _checked_form():
    """A change: the role may make it, and the form came from this site."""
    if not may(current_user(), "tenders.manage"):
        abort(403, "Your role may not change vouchers or store credit (tenders.manage).")
    checked_form()


def _amount(text, signed=False):
    text = (text or "").strip()
    negative = signed and text.startswith("-")
    amount = parse_money(text[1:] if negative else text)
    return -amount if negative else amount


@bp.route("/vouchers", methods=["GET", "POST"])
@requires("tenders.view")
def vouchers():
    error, values = None, {"amount": "", "expires": "", "note": ""}
    if request.method == "POST":
        _checked_form()
        values = {name: request.form.get(name, "") for name in values}
        try:
            voucher = tenders.issue_voucher(current_user(), _amount(values["amount"]),
                                            values["expires"].strip() or None,
                                            values["note"])
        except (ValueError, tenders.TenderError) as exc:
            error = str(exc)
        else:
            return redirect(url_for("tenders.voucher", code=voucher.code))
    query = request.args.get("q", "")
    found = tenders.find_vouchers(query)
    if request.headers.get("HX-Request"):
        return render_template("voucher_rows.html", vouchers=found)
    return render_template("vouchers.html", vouchers=found, query=query, values=values,
                           error=error, form=FlaskForm()), 400 if error else 200


@bp.route("/vouchers/<code>", methods=["GET", "POST"])
@requires("tenders.view")
def voucher(code):
    item = Voucher.get_or_none(Voucher.code == code)
    if item is None:
        abort(404, f"No voucher has the code {code}.")
    error = None
    if request.method == "POST":
        _checked_form()
        try:
            item = tenders.void_voucher(current_user(), code, request.form.get("reason"))
        except tenders.TenderError as exc:
            error = str(exc)
    return render_template("voucher.html", voucher=item, error=error, form=FlaskForm(),
                           entries=tenders.history("voucher", item.code)), \
        400 if error else 200


@bp.route("/store-credit", methods=["GET", "POST"])
@requires("tenders.view")
def store_credit():
    customer = (request.values.get("customer") or "").strip()
    error = None
    if request.method == "POST":
        _checked_form()
        try:
            tenders.adjust_credit(current_user(), customer,
                                  _amount(request.form.get("amount"), signed=True),
                                  request.form.get("reason"),
                                  request.form.get("reference") or str(uuid.uuid4()))
        except (ValueError, tenders.TenderError) as exc:
            error = str(exc)
        else:
            return redirect(url_for("tenders.store_credit", customer=customer))
    account = StoreCredit.get_or_none(StoreCredit.customer == customer) if customer else None
    return render_template("store_credit.html", customer=customer, account=account,
                           entries=tenders.history("store_credit", customer) if customer
                           else [], accounts=[] if customer else tenders.credit_accounts(),
                           error=error, form=FlaskForm(),
                           reference=str(uuid.uuid4())), 400 if error else 200
