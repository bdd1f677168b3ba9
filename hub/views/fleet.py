"""The fleet of tills: who is online, what they run, their alerts; and the messages the
ingest could not accept (dead letters)."""
from flask import Blueprint, render_template

from ..fleet import fleet
from ..models import DeadLetter
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
