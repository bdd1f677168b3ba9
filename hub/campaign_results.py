"""What a campaign brought: its codes redeemed at the tills, and its return against the
holdout group.

Both are written by the ingest with each sale, in its transaction, so a sale counts once
however often it arrives (``record_sales``), and pages read small sums, never the sales.

**Redemptions.** A code is the customer's own, but two tills offline at the same moment can
both take it: the first sale (by time) counts, later ones are listed as repeats, and their
discounts still count as money given.

**Return.** Each sale or refund of a customer of a launched campaign, completed while the
campaign runs (from its launch to its offer's end), adds to what that customer and their
group (target or holdout) have spent. What the target group spent per customer beyond what
the holdout group did, times the customers targeted, is the incremental revenue (after the
discounts, tax included). Invested: the discounts given plus the campaign's fixed cost.
ROI = (incremental revenue - fixed cost) / invested; none without a holdout group or an
investment.
"""
from collections import defaultdict
from fractions import Fraction

from peewee import fn

from shared import coupons
from shared.times import iso, now

from .models import Campaign, CampaignRecipient, CouponRedemption, Promotion


def record_sales(sales):
    """The effects of sales just inserted, [(store, body)], on the campaigns: their codes
    redeemed, and what their customers spent. A few statements a batch; none when no sale
    has a code or a customer of a launched campaign."""
    _redemptions(sales)
    _spending(sales)


def _redemptions(sales):
    coded = [(store, body, code) for store, body in sales if body.get("kind") == "sale"
             for code in body.get("coupons") or () if coupons.split(str(code))]
    if not coded:
        return
    prefixes = {coupons.split(code)[0] for _, _, code in coded}
    campaigns = {campaign.prefix: campaign for campaign in
                 Campaign.select(Campaign, Promotion).join(Promotion)
                 .where(Campaign.prefix.in_(list(prefixes)))}
    codes = {code for _, _, code in coded}
    recipients = dict(CampaignRecipient.select(CampaignRecipient.code, CampaignRecipient.id)
                      .where(CampaignRecipient.code.in_(list(codes))).tuples())
    rows = []
    for store, body, code in coded:
        campaign = campaigns.get(coupons.split(code)[0])
        if campaign is None:  # not a campaign's (the hub's sale check says so)
            continue
        discount = sum(applied.get("discount", 0) for applied
                       in body["result"].get("applied", ())
                       if applied.get("promotion") == campaign.promotion.code)
        rows.append({"sale": body["uuid"], "code": code, "campaign": campaign.id,
                     "recipient": recipients.get(code), "customer": body.get("customer"),
                     "store": store, "till": body["till"], "total": body["result"]["total"],
                     "discount": discount, "at": body["completed_at"]})
    if rows:
        CouponRedemption.insert_many(rows).on_conflict_ignore().execute()


def _spending(sales):
    customers = {body["customer"] for _, body in sales if body.get("customer")}
    if not customers:
        return
    recipients = defaultdict(list)
    for recipient in (CampaignRecipient.select(CampaignRecipient, Campaign, Promotion)
                      .join(Campaign).join(Promotion)
                      .where(CampaignRecipient.customer.in_(list(customers))
                             & Campaign.launched_at.is_null(False))):
        recipients[recipient.customer].append(recipient)
    if not recipients:
        return
    spent, purchases, groups = defaultdict(int), defaultdict(int), defaultdict(int)
    for _, body in sales:
        for recipient in recipients.get(body.get("customer"), ()):
            start, until = window(recipient.campaign)
            if not start <= body["completed_at"] <= until:
                continue
            amount = body["result"]["total"] * (-1 if body["kind"] == "refund" else 1)
            spent[recipient.id] += amount
            purchases[recipient.id] += body["kind"] == "sale"
            groups[recipient.campaign.id, recipient.holdout] += amount
    for recipient_id, amount in spent.items():
        CampaignRecipient.update(
            spent=CampaignRecipient.spent + amount,
            purchases=CampaignRecipient.purchases + purchases[recipient_id]).where(
            CampaignRecipient.id == recipient_id).execute()
    for (campaign_id, holdout), amount in groups.items():
        column = Campaign.holdout_spent if holdout else Campaign.target_spent
        Campaign.update({column: column + amount}).where(Campaign.id == campaign_id).execute()


def window(campaign, at=None):
    """(from, until) ISO texts: from the launch until the offer's end, or ``at`` if that
    is sooner (no ``at``: the offer's end, if it has one)."""
    ends = campaign.promotion.ends_at
    if at is not None and (ends is None or at < ends):
        ends = at
    return iso(campaign.launched_at), iso(ends) if ends else "9999"


def redemptions(campaign=None):
    """{campaign id: (codes redeemed, uses, revenue of their first uses, discounts)}, of
    one campaign or all."""
    query = (CouponRedemption.select(CouponRedemption.campaign, CouponRedemption.code,
                                     CouponRedemption.total, CouponRedemption.discount)
             .order_by(CouponRedemption.at, CouponRedemption.sale))
    if campaign is not None:
        query = query.where(CouponRedemption.campaign == campaign)
    firsts, figures = defaultdict(set), {}
    for campaign_id, code, total, discount in query.tuples():
        codes, uses, revenue, discounts = figures.get(campaign_id, (0, 0, 0, 0))
        first = code not in firsts[campaign_id]
        firsts[campaign_id].add(code)
        figures[campaign_id] = (codes + first, uses + 1, revenue + total * first,
                                discounts + discount)
    return figures


def results(campaign, at=None, redeemed=None):
    """A campaign's figures, as its page, the list and the reports show them (money in
    minor units; ``roi`` a Fraction, or None when it cannot be told). ``redeemed``: the
    campaign's entry of ``redemptions()``, when the caller has them all."""
    if redeemed is None:
        redeemed = redemptions(campaign).get(campaign.id, (0, 0, 0, 0))
    codes, uses, revenue, discounts = redeemed
    figures = {"redeemed": codes, "repeats": uses - codes, "revenue": revenue,
               "discounts": discounts, "targeted": campaign.targeted,
               "held_out": campaign.held_out, "target_spent": campaign.target_spent,
               "holdout_spent": campaign.holdout_spent, "incremental": None, "roi": None,
               "redemption_rate": (Fraction(codes, campaign.targeted)
                                   if campaign.targeted else None)}
    if campaign.launched_at is None:
        return figures
    figures["window"] = window(campaign, at or now())
    if campaign.targeted and campaign.held_out:
        lift = (Fraction(campaign.target_spent, campaign.targeted)
                - Fraction(campaign.holdout_spent, campaign.held_out))
        figures["incremental"] = round(lift * campaign.targeted)
        invested = discounts + campaign.cost
        if invested:
            figures["roi"] = Fraction(figures["incremental"] - campaign.cost, invested)
    return figures


def details(campaign):
    """What the campaign page adds: emails by state, and buyers in each group."""
    mail = dict(CampaignRecipient.select(CampaignRecipient.mail, fn.COUNT(CampaignRecipient.id))
                .where(CampaignRecipient.campaign == campaign)
                .group_by(CampaignRecipient.mail).tuples())
    buyers = dict(CampaignRecipient.select(CampaignRecipient.holdout,
                                           fn.COUNT(CampaignRecipient.id))
                  .where((CampaignRecipient.campaign == campaign)
                         & (CampaignRecipient.purchases > 0))
                  .group_by(CampaignRecipient.holdout).tuples())
    return {"mail": mail, "target_buyers": buyers.get(False, 0),
            "holdout_buyers": buyers.get(True, 0)}


def report(start, end):
    """The reports' table of the campaigns that ran in the days ``start`` to ``end`` (ISO
    dates), each with its figures since launch; ROI as a whole percent."""
    rows, redeemed = [], redemptions()
    query = (Campaign.select(Campaign, Promotion).join(Promotion)
             .where(Campaign.launched_at.is_null(False)).order_by(Campaign.launched_at))
    for campaign in query:
        ends = campaign.promotion.ends_at
        if iso(campaign.launched_at)[:10] > end or (ends is not None and iso(ends)[:10] < start):
            continue
        figures = results(campaign, redeemed=redeemed.get(campaign.id, (0, 0, 0, 0)))
        rows.append({"key": campaign.name, "launched": iso(campaign.launched_at)[:10],
                     "targeted": campaign.targeted, "redeemed": figures["redeemed"],
                     "revenue": figures["revenue"], "discounts": figures["discounts"],
                     "incremental": figures["incremental"],
                     "roi": "" if figures["roi"] is None else f"{round(figures['roi'] * 100)}%"})
    return rows
