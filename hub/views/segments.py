"""Segments: RFM scores and their segments, and segments by rules with a live count as
they are written; members as CSV for a campaign or a mailing."""
from flask import (
    Blueprint,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)

from .. import segments
from ..accounts import may
from ..models import CustomerStats, Segment, Store
from . import checked_form, csv_download, current_user, found, requires

bp = Blueprint("segments", __name__)


def _page(item, values, errors, status=200):
    return render_template(
        "segments.html", item=item, values=values, errors=errors, rules=segments.RULES,
        options={"label": [name for name, _ in segments.LABELS],
                 "tier": segments.tier_names()},
        stores=[store.code for store in Store.select().order_by(Store.code)],
        saved=[(segment, segments.count(segment.rules)) for segment in
               Segment.select().order_by(Segment.name)],
        rfm=segments.rfm_summary()), status


@bp.route("/segments", methods=["GET", "POST"])
@bp.route("/segments/<int:segment_id>", methods=["GET", "POST"])
@requires("segments.view")
def page(segment_id=None):
    item = found(Segment, Segment.id, segment_id, "segment") if segment_id else None
    values = {"name": item.name, **segments.form_values(item.rules)} if item else {}
    if request.method == "GET":
        return _page(item, values, {})
    if not may(current_user(), "segments.edit"):
        abort(403, "Your role may not change segments (segments.edit).")
    checked_form()
    values = request.form.to_dict()
    try:
        saved = segments.save(current_user(), values.get("name"), values, item)
    except segments.SegmentError as exc:
        return _page(item, values, exc.fields, 400)
    return redirect(url_for("segments.page", segment_id=saved.id))


@bp.post("/segments/count")
@requires("segments.view")
def live_count():
    """The customers the rules being written select: a part of the page, for htmx."""
    checked_form()
    try:
        rules = segments.check(request.form.to_dict())
    except segments.SegmentError as exc:
        return render_template("segment_count.html", error=str(exc))
    return render_template("segment_count.html", count=segments.count(rules))


@bp.post("/segments/rfm")
@requires("segments.edit")
def recompute():
    checked_form()
    segments.recompute(current_app.extensions["hub_db"])
    return redirect(url_for("segments.page"))


@bp.get("/segments/<int:segment_id>/members.csv")
@requires("segments.view")
def members(segment_id):
    item = found(Segment, Segment.id, segment_id, "segment")
    return csv_download(
        f"segment-{item.id}.csv", ("customer", "visits", "spent", "last_purchase", "last_store"),
        ((stats.customer, stats.visits, stats.spent, stats.last_purchase or "",
          stats.last_store or "")
         for stats in segments.members(item.rules).order_by(CustomerStats.customer)))
