"""What a campaign brought: its codes redeemed at the tills, and its return against the
holdout group.

**Redemptions** are written by the ingest with the sale, in its transaction, so each sale
counts once however often it arrives (``record_sales``). A code is the customer's own, but
two tills offline at the same moment can both take it: the first sale (by time) counts,
later ones are listed as repeats, and their discounts still count as money given.

**Return** compares the two groups over the campaign's time (launch until now or the
offer's end): what the target group spent per customer beyond what the holdout group did,
times the customers targeted, is the incremental revenue (after the discounts, tax
included). Invested: the discounts given plus the campaign's fixed cost. ROI = (incremental
revenue - fixed cost) / invested; none without a holdout group or an investment.
"""
from fractions import Fraction

from peewee import Case, fn

from shared import coupons
from shared.times import iso, now

from .models import Campaign, CampaignRecipient, CouponRedemption, Sale


def record_sales(sales):
    """The campaign codes on sales just inserted, [(store, body)]: one statement to find
    their campaigns, none when no sale has a code (most)."""
    coded = [(store, body, code) for store, body in sales if body.get("kind") == "sale"
             for code in body.get("coupons") or () if coupons.split(str(code))]
    if not coded:
        return
    prefixes = {coupons.split(code)[0] for _, _, code in coded}
    campaigns = {campaign.prefix: campaign for campaign in
                 Campaign.select().where(Campaign.prefix.in_(list(prefixes)))}
    codes = {code for _, _, code in coded}
    recipients = {recipient.code: recipient for recipient in
                  CampaignRecipient.select().where(CampaignRecipient.code.in_(list(codes)))}
    rows = []
    for store, body, code in coded:
        campaign = campaigns.get(coupons.split(code)[0])
        if campaign is None:  # not a campaign's (the hub's sale check says so)
            continue
        promotion = campaign.promotion.code
        discount = sum(applied.get("discount", 0) for applied
                       in body["result"].get("applied", ())
                       if applied.get("promotion") == promotion)
        recipient = recipients.get(code)
        rows.append({"sale": body["uuid"], "code": code, "campaign": campaign.id,
                     "recipient": recipient.id if recipient else None,
                     "customer": body.get("customer"), "store": store, "till": body["till"],
                     "total": body["result"]["total"], "discount": discount,
                     "at": body["completed_at"]})
    if rows:
        CouponRedemption.insert_many(rows).on_conflict_ignore().execute()


def window(campaign, at=None):
    """(from, until) ISO texts: the campaign's launch until ``at`` (now) or its offer's end."""
    at = at or now()
    ends = campaign.promotion.ends_at
    return iso(campaign.launched_at), iso(min(at, ends) if ends else at)


def _groups(campaign, start, until):
    """{holdout: (buyers, spent)} over the window, net of refunds."""
    spent = fn.SUM(Case(None, [(Sale.kind == "refund", Sale.total * -1)], Sale.total))
    buyers = fn.COUNT(fn.DISTINCT(Case(None, [(Sale.kind == "sale", Sale.customer)])))
    query = (CampaignRecipient.select(CampaignRecipient.holdout, buyers, spent)
             .join(Sale, on=(Sale.customer == CampaignRecipient.customer))
             .where((CampaignRecipient.campaign == campaign)
                    & (Sale.completed_at >= start) & (Sale.completed_at <= until))
             .group_by(CampaignRecipient.holdout))
    return {bool(holdout): (int(count or 0), int(total or 0))
            for holdout, count, total in query.tuples()}


def results(campaign, at=None):
    """A launched campaign's figures, as its page and the reports show them (money in
    minor units; ``roi`` a Fraction, or None when it cannot be told)."""
    mail = dict(CampaignRecipient.select(CampaignRecipient.mail, fn.COUNT(CampaignRecipient.id))
                .where(CampaignRecipient.campaign == campaign)
                .group_by(CampaignRecipient.mail).tuples())
    uses = list(CouponRedemption.select(CouponRedemption.code, CouponRedemption.total,
                                        CouponRedemption.discount)
                .where(CouponRedemption.campaign == campaign)
                .order_by(CouponRedemption.at, CouponRedemption.sale).tuples())
    first = {}
    for code, total, _ in uses:
        first.setdefault(code, total)
    figures = {"mail": mail, "redeemed": len(first), "repeats": len(uses) - len(first),
               "revenue": sum(first.values()),
               "discounts": sum(discount for _, _, discount in uses),
               "targeted": campaign.targeted, "held_out": campaign.held_out,
               "incremental": None, "roi": None}
    figures["redemption_rate"] = (Fraction(len(first), campaign.targeted)
                                  if campaign.targeted else None)
    if campaign.launched_at is None:
        return figures
    start, until = window(campaign, at)
    groups = _groups(campaign, start, until)
    target, holdout = groups.get(False, (0, 0)), groups.get(True, (0, 0))
    figures.update(window=(start, until), target_buyers=target[0], target_spent=target[1],
                   holdout_buyers=holdout[0], holdout_spent=holdout[1])
    if campaign.targeted and campaign.held_out:
        lift = (Fraction(target[1], campaign.targeted)
                - Fraction(holdout[1], campaign.held_out))
        figures["incremental"] = round(lift * campaign.targeted)
        invested = figures["discounts"] + campaign.cost
        if invested:
            figures["roi"] = Fraction(figures["incremental"] - campaign.cost, invested)
    return figures
