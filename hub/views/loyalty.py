"""The loyalty programme: points per amount paid, tiers, category bonuses and expiry,
with how many customers are in each tier."""
from flask import Blueprint, abort, redirect, render_template, request, url_for

from .. import loyalty_program
from ..accounts import may
from . import checked_form, current_user, requires

bp = Blueprint("loyalty", __name__)


@bp.route("/loyalty", methods=["GET", "POST"])
@requires("loyalty.view")
def page():
    program = loyalty_program.current()
    values, errors = loyalty_program.form_values(program), {}
    if request.method == "POST":
        if not may(current_user(), "loyalty.manage"):
            abort(403, "Your role may not change the loyalty programme (loyalty.manage).")
        checked_form()
        values = request.form.to_dict()
        try:
            loyalty_program.save(current_user(), values)
        except loyalty_program.ProgramError as exc:
            errors = exc.fields
        else:
            return redirect(url_for("loyalty.page"))
    return render_template("loyalty.html", values=values, errors=errors,
                           tiers=loyalty_program.MAX_TIERS, bonuses=loyalty_program.MAX_BONUSES,
                           counts=loyalty_program.tier_counts(program),
                           editable=may(current_user(), "loyalty.manage")), \
        400 if errors else 200
