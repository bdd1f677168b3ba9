"""The fleet of tills: who is online, what they run, their alerts; the messages the ingest
could not accept (dead letters); and the sales that did not re-price as their till did."""
from flask import Blueprint, render_template
from peewee import fn

from ..fleet import fleet
from ..models import DeadLetter, SaleCheck
from . import requires

bp = Blueprint("fleet", __name__)


@bp.get("/fleet")
@requires("fleet.view")
def page():
    return render_template("fleet.html", tills=fleet())


@bp.get("/fleet/table")
@requires("fleet.view")
def table():
    """The table alone, which the page refreshes every few seconds (htmx)."""
    return render_template("fleet_table.html", tills=fleet())


@bp.get("/dead-letters")
@requires("dead_letters.view")
def dead_letters():
    letters = DeadLetter.select().order_by(DeadLetter.received_at.desc()).limit(200)
    return render_template("dead_letters.html", letters=letters)


@bp.get("/sale-checks")
@requires("sales.view")
def sale_checks():
    """Sales whose re-pricing at the hub did not say ok, newest first, and the counts."""
    counts = dict(SaleCheck.select(SaleCheck.status, fn.COUNT(SaleCheck.sale))
                  .group_by(SaleCheck.status).tuples())
    checks = (SaleCheck.select().where(SaleCheck.status != "ok")
              .order_by(SaleCheck.checked_at.desc()).limit(200))
    return render_template("sale_checks.html", checks=checks, counts=counts)
