"""Marketing campaigns: a segment's customers each get a unique coupon code by email.

A campaign names a segment, a promotion (its offer) and a code prefix. From the moment it
is made, the promotion's ``coupon`` is the prefix, so the offer only applies with one of
the campaign's codes (``shared/coupons.py``), and the stores' catalogs carry the prefix and
key with which a till checks a code offline (``catalog_section``).

Launching takes the segment's members as they are then: those with an email address and
email consent are split at random (by the campaign's key, so the split can be shown again)
into the holdout group and the target group; each of the target group is given a code and
an email, sent by the catalog server's scheduled jobs (``send_pending``), a batch at a
time, each recipient marked as it goes, and consent checked again just before. What the
codes then bring is in ``hub/campaign_results.py``.
"""
import hashlib
import hmac
import smtplib
import string
from email.message import EmailMessage

from peewee import JOIN

from shared import coupons
from shared.money import format_money, parse_money
from shared.times import now
from shared.whole_numbers import MAX_ID, whole_number

from . import catalog_versions, mail, segments
from .accounts import audit
from .models import Campaign, CampaignRecipient, Customer, CustomerStats, Promotion, Segment, Store
from .stores import publish

PLACEHOLDERS = ("name", "code")
MAX_HOLDOUT = 50
SEND_BATCH = 500  # emails a scheduled run sends at most, so the other jobs wait little
FOOTER = ("\n\n--\nYou get this email because you agreed to hear from us. To stop, reply "
          "with the word unsubscribe, or tell us at the till.")


class CampaignError(ValueError):
    """A campaign that cannot be saved or launched; ``fields`` says which field and why."""

    def __init__(self, fields):
        super().__init__("; ".join(f"{name}: {why}" for name, why in fields.items()))
        self.fields = fields


def _placeholders(text, field, errors, required=()):
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    except ValueError as exc:
        errors[field] = f"a lone brace: write {{{{ or }}}} for a brace ({exc})"
        return
    unknown = names - set(PLACEHOLDERS)
    if unknown:
        errors[field] = f"unknown placeholder {{{sorted(unknown)[0]}}}: use " + \
            " or ".join(f"{{{name}}}" for name in PLACEHOLDERS)
    elif set(required) - names:
        errors[field] = "put {code} where the customer's code goes"


def check(values, campaign=None, exponent=2):
    """The fields of a Campaign from form ``values``, or CampaignError."""
    errors, fields = {}, {}
    fields["name"] = name = (values.get("name") or "").strip()
    if not 1 <= len(name) <= 100:
        errors["name"] = "1-100 characters"
    elif Campaign.select().where((Campaign.name == name)
                                 & (Campaign.id != getattr(campaign, "id", -1))).exists():
        errors["name"] = f"{name} is taken by another campaign"
    try:
        fields["prefix"] = prefix = coupons.check_prefix(values.get("prefix"))
    except coupons.CouponError as exc:
        errors["prefix"] = str(exc)
    else:
        if Campaign.select().where((Campaign.prefix == prefix)
                                   & (Campaign.id != getattr(campaign, "id", -1))).exists():
            errors["prefix"] = f"{prefix} is another campaign's prefix"
    segment = Segment.get_or_none(Segment.id == whole_number(values.get("segment"), MAX_ID))
    if segment is None:
        errors["segment"] = "choose a segment (make one on the Segments page)"
    fields["segment"] = segment
    promotion = Promotion.get_or_none(Promotion.code == (values.get("promotion") or ""))
    if promotion is None:
        errors["promotion"] = "choose the promotion it offers (make one on the " \
            "Promotions page)"
    elif Campaign.select().where((Campaign.promotion == promotion)
                                 & (Campaign.id != getattr(campaign, "id", -1))).exists():
        errors["promotion"] = f"{promotion.code} is another campaign's offer"
    elif "prefix" in fields and "prefix" not in errors:
        mine = {promotion.id, getattr(campaign, "promotion_id", promotion.id)}  # its old too
        taken = [other.code for other in Promotion.select()
                 if other.id not in mine and (other.rule or {}).get("coupon") == fields["prefix"]]
        if taken:
            errors["prefix"] = f"{fields['prefix']} is the coupon of promotion {taken[0]}"
    fields["promotion"] = promotion
    holdout = (values.get("holdout_percent") or "").strip()
    fields["holdout_percent"] = whole_number(holdout, MAX_HOLDOUT)
    if fields["holdout_percent"] is None:
        errors["holdout_percent"] = f"a whole percent, 0-{MAX_HOLDOUT} (10 is usual)"
    try:
        fields["cost"] = parse_money(values.get("cost") or "0", exponent)
    except ValueError as exc:
        errors["cost"] = str(exc)
    fields["subject"] = subject = (values.get("subject") or "").strip()
    if not 1 <= len(subject) <= 200:
        errors["subject"] = "1-200 characters"
    else:
        _placeholders(subject, "subject", errors)
    fields["message"] = message = (values.get("message") or "").replace("\r\n", "\n").strip()
    if not 1 <= len(message) <= 5000:
        errors["message"] = "1-5,000 characters, with {code}"
    else:
        _placeholders(message, "message", errors, required=("code",))
    if errors:
        raise CampaignError(errors)
    return fields


def save(by, values, campaign=None, exponent=2):
    """Create a campaign, or change a draft: the Campaign, or CampaignError. Its promotion
    takes the prefix as its coupon (a promotion it no longer offers loses it)."""
    if campaign is not None and campaign.status != "draft":
        raise CampaignError({"launch": "a launched campaign cannot be changed"})
    fields = check(values, campaign, exponent)
    database = Campaign._meta.database
    with database.atomic():
        campaign = campaign or Campaign(key=coupons.new_key(),
                                        created_by=getattr(by, "username", by))
        before = campaign.promotion if campaign.id else None
        if before is not None and before.id != fields["promotion"].id:
            _set_coupon(before, None)
        fields["segment_name"] = fields["segment"].name
        for name, value in fields.items():
            setattr(campaign, name, value)
        campaign.save()
        _set_coupon(fields["promotion"], campaign.prefix)
        audit(by, "campaign.update" if before else "campaign.create", campaign.name,
              {"prefix": campaign.prefix, "segment": campaign.segment_name,
               "promotion": campaign.promotion.code,
               "holdout_percent": campaign.holdout_percent,
               "cost": format_money(campaign.cost, exponent)})
    return campaign


def _set_coupon(promotion, coupon):
    rule = {name: value for name, value in (promotion.rule or {}).items() if name != "coupon"}
    if coupon:
        rule["coupon"] = coupon
    promotion.rule, promotion.updated_at = rule, now()
    promotion.save()


def of_promotion(promotion):
    """The campaign whose offer ``promotion`` is, or None."""
    return Campaign.get_or_none(Campaign.promotion == promotion)


def in_holdout(campaign, customer):
    """Whether the customer falls in the campaign's holdout group: a fixed draw of the
    campaign's key, so the same customers every time it is worked out."""
    digest = hmac.new(bytes.fromhex(campaign.key), f"holdout:{customer}".encode(),
                      hashlib.sha256).digest()
    return int.from_bytes(digest[:4], "big") % 10_000 < campaign.holdout_percent * 100


def reachable(query):
    """Customers of ``query`` (their statistics) who may be sent a campaign email."""
    return query.where((Customer.email != "") & Customer.email_marketing
                       & Customer.erased_at.is_null())


def _members(campaign):
    """The segment's customers (their statistics) with their Customer rows joined."""
    return segments.members(campaign.segment.rules).join(
        Customer, JOIN.LEFT_OUTER, on=(Customer.code == CustomerStats.customer))


def audience(campaign):
    """(reachable, in the segment) as launching now would find them."""
    if campaign.segment is None:
        return 0, 0
    members = _members(campaign)
    return reachable(members).count(), members.count()


def launch(database, campaign, by):
    """Issue the codes and queue the emails; then send each of the campaign's stores a
    catalog with its key, so their tills take the codes. Returns the campaign."""
    if campaign.status != "draft":
        raise CampaignError({"launch": "this campaign has been launched already"})
    if campaign.segment is None:
        raise CampaignError({"segment": "its segment has been deleted: choose another"})
    members = _members(campaign)
    everyone = members.count()
    chosen = [code for (code,) in reachable(members.select(CustomerStats.customer))
              .order_by(CustomerStats.customer).tuples()]
    if not chosen:
        raise CampaignError({"segment": f"none of its {everyone} customers can be emailed "
                                        "(no address, or no consent)"})
    if len(chosen) > coupons.MAX_SERIAL:
        raise CampaignError({"segment": f"{len(chosen)} customers: a campaign has at most "
                                        f"{coupons.MAX_SERIAL}"})
    rows, serial = [], 0
    for customer in chosen:
        if in_holdout(campaign, customer):
            rows.append({"campaign": campaign.id, "customer": customer, "holdout": True,
                         "serial": None, "mail": "held_out", "code": None})
        else:
            serial += 1
            rows.append({"campaign": campaign.id, "customer": customer, "holdout": False,
                         "serial": serial, "mail": "pending",
                         "code": coupons.make_code(campaign.prefix, campaign.key, serial)})
    with database.atomic():
        fresh = Campaign.select().where((Campaign.id == campaign.id)
                                        & (Campaign.status == "draft"))
        if not fresh.exists():  # launched meanwhile, from another page
            raise CampaignError({"launch": "this campaign has been launched already"})
        for start in range(0, len(rows), 500):
            CampaignRecipient.insert_many(rows[start:start + 500]).execute()
        campaign.status, campaign.launched_at = "sending", now()
        campaign.targeted, campaign.held_out = serial, len(rows) - serial
        campaign.unreachable = everyone - len(rows)
        campaign.segment_name = campaign.segment.name
        campaign.save()
        audit(by, "campaign.launch", campaign.name,
              {"targeted": serial, "held_out": len(rows) - serial,
               "unreachable": campaign.unreachable})
    _publish_stores(database, campaign, by)
    return campaign


def _publish_stores(database, campaign, by):
    """A new catalog for each store of the offer that has tills on a catalog already."""
    named = set(campaign.promotion.stores or ())
    for store in Store.select().order_by(Store.code):
        if (not named or store.code in named) and catalog_versions.latest(store.code):
            publish(database, store, by)


def compose(campaign, customer, code, sender):
    """The email of ``customer`` (a Customer) with their ``code``."""
    first = (customer.name.split() or [""])[0] or "there"
    values = {"name": first, "code": coupons.display(code)}
    message = EmailMessage()
    message["From"], message["To"] = sender, customer.email
    message["Subject"] = campaign.subject.format(**values)
    message["List-Unsubscribe"] = f"<mailto:{sender}?subject=unsubscribe>"
    message.set_content(campaign.message.format(**values) + FOOTER)
    return message


def send_pending(database, limit=SEND_BATCH):
    """Send the queued emails through the Email page's server, ``limit`` recipients at
    most; how many were sent. Each recipient is marked as it goes, so a stop loses nothing
    and sends no one twice (but the one being sent). A campaign with none left is
    ``sent``. MailError when the server cannot be used: the rest wait for next time."""
    sending = list(Campaign.select().where(Campaign.status == "sending").order_by(Campaign.id))
    if not sending or not mail.configured():
        return 0
    settings, sent, server = mail.settings(), 0, None
    try:
        for campaign in sending:
            queued = list(CampaignRecipient.select(CampaignRecipient, Customer)
                          .join(Customer, JOIN.LEFT_OUTER, attr="customer_row",
                                on=(Customer.code == CampaignRecipient.customer))
                          .where((CampaignRecipient.campaign == campaign)
                                 & (CampaignRecipient.mail == "pending"))
                          .order_by(CampaignRecipient.serial).limit(limit - sent))
            for recipient in queued:
                customer = getattr(recipient, "customer_row", None)
                if customer is None or not customer.email or not customer.email_marketing \
                        or customer.erased_at is not None:
                    _mark(recipient, "skipped", "no consent or no email address any more")
                    continue
                server = server or mail.connect(settings)
                try:
                    server.send_message(compose(campaign, customer, recipient.code,
                                                settings.sender))
                except smtplib.SMTPRecipientsRefused as exc:
                    _mark(recipient, "failed", _refusal(exc))
                    continue
                except (smtplib.SMTPDataError, smtplib.SMTPSenderRefused) as exc:
                    _mark(recipient, "failed", f"{exc.smtp_code} {exc.smtp_error!r}"[:200])
                    continue
                _mark(recipient, "sent")
                sent += 1
            if not CampaignRecipient.select().where(
                    (CampaignRecipient.campaign == campaign)
                    & (CampaignRecipient.mail == "pending")).exists():
                campaign.status = "sent"
                campaign.save(only=[Campaign.status])
            if sent >= limit:
                break
    except (OSError, smtplib.SMTPException) as exc:
        raise mail.MailError(f"sending stopped, to go on next time: {exc}") from exc
    finally:
        if server is not None:
            mail.quit_quietly(server)
    return sent


def _refusal(exc):
    return "; ".join(f"{address}: {code} {text!r}" for address, (code, text)
                     in exc.recipients.items())[:200]


def _mark(recipient, state, error=""):
    CampaignRecipient.update(mail=state, mail_error=error, mailed_at=now()).where(
        CampaignRecipient.id == recipient.id).execute()
