"""The pages: the cashier's kiosk and the customer display (both run on the JSON API)."""
from flask import Blueprint, current_app, render_template

from .helpers import till

bp = Blueprint("kiosk", __name__)


@bp.get("/")
def kiosk():
    catalog = till().catalog
    return render_template("kiosk.html", store=catalog.store["name"], currency=catalog.currency,
                           simulation=bool(current_app.config["TILL"]["till"].get("simulation")))


@bp.get("/display")
def display():
    return render_template("display.html", store=till().catalog.store["name"])
