"""Campaigns: made for a segment and a promotion, launched (codes issued, emails queued),
then followed: emails sent, codes redeemed at the tills, and the return against the
holdout group. The *Email* page sets the SMTP server they are sent through."""
from flask import (
    Blueprint,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)

from shared import coupons
from shared.money import format_money

from .. import campaign_results, campaigns, mail
from ..accounts import may
from ..models import Campaign, CampaignRecipient, MailSettings, Promotion, Segment
from . import checked_form, csv_download, current_user, found, requires

bp = Blueprint("campaigns", __name__)
FORM_FIELDS = ("name", "prefix", "segment", "promotion", "holdout_percent", "cost",
               "subject", "message")
NEW = {"holdout_percent": "10", "cost": "0.00",
       "subject": "{name}, a little something for you",
       "message": "Hello {name},\n\nShow this code at the till: {code}\n\nSee you soon!"}


def _form_values(item):
    return {"name": item.name, "prefix": item.prefix,
            "segment": str(item.segment_id or ""), "promotion": item.promotion.code,
            "holdout_percent": str(item.holdout_percent),
            "cost": format_money(item.cost),
            "subject": item.subject, "message": item.message}


@bp.get("/campaigns")
@requires("campaigns.view")
def list_page():
    redeemed = campaign_results.redemptions()
    rows = [(item, campaign_results.results(item, redeemed=redeemed.get(item.id, (0, 0, 0, 0)))
             if item.launched_at else None)
            for item in Campaign.select(Campaign, Promotion).join(Promotion)
            .order_by(Campaign.created_at.desc())]
    return render_template("campaigns.html", rows=rows, mail_ready=mail.configured())


@bp.route("/campaigns/new", methods=["GET", "POST"])
@bp.route("/campaigns/<int:campaign_id>", methods=["GET", "POST"])
@requires("campaigns.view")
def page(campaign_id=None):
    item = found(Campaign, Campaign.id, campaign_id, "campaign") if campaign_id else None
    values = _form_values(item) if item else dict(NEW)
    if request.method == "GET":
        return _page(item, values, {})
    if not may(current_user(), "campaigns.edit"):
        abort(403, "Your role may not change campaigns (campaigns.edit).")
    checked_form()
    values = {name: request.form.get(name, "") for name in FORM_FIELDS}
    try:
        saved = campaigns.save(current_user(), values, item)
    except campaigns.CampaignError as exc:
        return _page(item, values, exc.fields, 400)
    return redirect(url_for("campaigns.page", campaign_id=saved.id))


def _page(item, values, errors, status=200):
    taken = {campaign.promotion_id for campaign in Campaign.select()
             if item is None or campaign.id != item.id}
    return render_template(
        "campaign.html", item=item, values=values, errors=errors,
        segments=list(Segment.select().order_by(Segment.name)),
        promotions=[promotion for promotion in Promotion.select().order_by(Promotion.code)
                    if promotion.id not in taken],
        audience=campaigns.audience(item) if item and item.status == "draft" else None,
        results={**campaign_results.results(item), **campaign_results.details(item)}
        if item and item.launched_at else None,
        mail_ready=mail.configured(), display=coupons.display), status


@bp.post("/campaigns/<int:campaign_id>/launch")
@requires("campaigns.edit")
def launch(campaign_id):
    item = found(Campaign, Campaign.id, campaign_id, "campaign")
    checked_form()
    try:
        campaigns.launch(current_app.extensions["hub_db"], item, current_user())
    except campaigns.CampaignError as exc:
        return _page(item, _form_values(item), exc.fields, 400)
    return redirect(url_for("campaigns.page", campaign_id=item.id))


@bp.get("/campaigns/<int:campaign_id>/recipients.csv")
@requires("campaigns.view")
def recipients(campaign_id):
    """Who was sent what, and who was held out: for the record, or a mailing of one's own."""
    item = found(Campaign, Campaign.id, campaign_id, "campaign")
    rows = (CampaignRecipient.select().where(CampaignRecipient.campaign == item)
            .order_by(CampaignRecipient.holdout, CampaignRecipient.serial,
                      CampaignRecipient.customer))
    return csv_download(
        f"campaign-{item.id}-recipients.csv",
        ("customer", "group", "code", "email", "error", "emailed_at"),
        ((row.customer, "holdout" if row.holdout else "target",
          coupons.display(row.code) if row.code else "", row.mail, row.mail_error,
          row.mailed_at or "") for row in rows))


def _email_page(values=None, errors=None, note=None, test_to=""):
    current = mail.settings()
    values = values or {"host": current.host, "port": str(current.port),
                        "security": current.security, "username": current.username,
                        "sender": current.sender}
    return render_template("email_settings.html", values=values, errors=errors or {},
                           note=note, test_to=test_to, securities=MailSettings.SECURITY,
                           has_password=bool(current.password)), 400 if errors else 200


@bp.route("/campaigns/email", methods=["GET", "POST"])
@requires("mail.manage")
def email():
    if request.method == "GET":
        return _email_page()
    checked_form()
    values = {name: request.form.get(name, "") for name in
              ("host", "port", "security", "username", "password", "sender")}
    saved, errors = mail.save(current_user(), values)
    values.pop("password")
    return _email_page(values, errors, "Saved." if saved else None)


@bp.post("/campaigns/email/test")
@requires("mail.manage")
def email_test():
    """A test message, so an admin knows the settings work before a campaign goes out."""
    checked_form()
    to = (request.form.get("to") or "").strip()
    if not mail.is_address(to):
        return _email_page(errors={"to": "an email address to send the test to"}, test_to=to)
    try:
        mail.send_test(to)
    except mail.MailError as exc:
        return _email_page(errors={"to": str(exc)}, test_to=to)
    return _email_page(note=f"A test message went to {to}.", test_to=to)
