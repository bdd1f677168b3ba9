"""Campaigns on SQLite and PostgreSQL, with a real SMTP server: a segment's reachable
customers split into a target and a holdout group, a valid unique code each for the
target, emails sent once each with consent checked again, the codes' key in the stores'
catalogs, redemptions counted once per sale (a code used twice flagged), and the return
against the holdout group worked out exactly."""
import datetime
from fractions import Fraction

import pytest

from hub import campaign_results, campaigns, catalog_versions, mail, promotions
from hub.ingest import apply
from hub.models import (
    Campaign,
    CampaignRecipient,
    CouponRedemption,
    Customer,
    CustomerStats,
    Promotion,
    Segment,
    Store,
)
from hub.stores import import_store_file, publish
from shared import coupons
from shared.protocol import Envelope, encode
from shared.times import iso, now
from tests.edge.conftest import store
from tests.protocol.test_messages import SALE

MESSAGE = "Hello {name}, your code: {code}"


def customers(count, email=True, consent=True, start=0):
    for number in range(start, start + count):
        code = f"C{number:03d}"
        Customer.create(code=code, name=f"Pat{number} Smith",
                        email=f"c{number}@example.com" if email else "",
                        email_marketing=consent)
        CustomerStats.create(customer=code, visits=2, spent=5000, last_purchase="2026-11-01")


def values(**changes):
    return {"name": "Spring", "prefix": "SPRING", "segment": str(Segment.get().id),
            "promotion": "WINE10", "holdout_percent": "25", "cost": "10.00",
            "subject": "{name}, for you", "message": MESSAGE, **changes}


@pytest.fixture
def shop(hub_db):
    """The test store published once, 40 customers in a segment (30 reachable), and a
    promotion to offer."""
    import_store_file(hub_db, store(), "system")
    publish(hub_db, Store.get(Store.code == "test"), "system")
    promotions.save("system", {"code": "WINE10", "name": "10% off wine",
                               "type": "percent_off", "skus": "WINE", "percent": "10"})
    customers(30)
    customers(5, consent=False, start=30)
    customers(5, email=False, start=35)
    Segment.create(name="Regulars", rules={"min_visits": 2}, updated_by="system")
    return hub_db


@pytest.fixture
def mail_to(smtp):
    port, mailbox = smtp
    saved, errors = mail.save("admin", {"host": "127.0.0.1", "port": str(port),
                                        "security": "none", "sender": "offers@shop.example"})
    assert errors is None
    return mailbox


def test_launching_splits_the_reachable_customers_and_gives_each_a_valid_code(shop):
    campaign = campaigns.save("marketing", values())
    assert Promotion.get(Promotion.code == "WINE10").rule["coupon"] == "SPRING"
    assert campaigns.audience(campaign) == (30, 40)
    campaigns.launch(shop, campaign, "marketing")
    assert (campaign.status, campaign.unreachable) == ("sending", 10)
    assert campaign.targeted + campaign.held_out == 30 and 0 < campaign.held_out < 15
    targets = list(CampaignRecipient.select().where(~CampaignRecipient.holdout))
    assert sorted(coupons.serial_of(row.code, campaign.key) for row in targets) \
        == list(range(1, campaign.targeted + 1))
    for row in CampaignRecipient.select():  # the split is the key's: the same again
        assert row.holdout == campaigns.in_holdout(campaign, row.customer)
        assert (row.code is None) == row.holdout
    assert not CampaignRecipient.select().where(CampaignRecipient.customer >= "C030").exists()
    snapshot = catalog_versions.snapshot_of("test", str(catalog_versions.latest("test").version))
    assert snapshot["campaigns"] == [{"prefix": "SPRING", "key": campaign.key,
                                      "name": "Spring"}]
    offer = next(p for p in snapshot["pricing"]["promotions"] if p["id"] == "WINE10")
    assert offer["coupon"] == "SPRING"
    with pytest.raises(campaigns.CampaignError, match="launched already"):
        campaigns.launch(shop, campaign, "marketing")
    with pytest.raises(campaigns.CampaignError, match="cannot be changed"):
        campaigns.save("marketing", values(name="Other"), campaign)


def test_emails_go_once_each_with_consent_checked_again_and_refusals_kept(shop, mail_to):
    Customer.update(email="gone@bounce.example").where(Customer.code == "C001").execute()
    campaign = campaigns.launch(shop, campaigns.save("marketing", values(holdout_percent="0")),
                                "marketing")
    assert campaign.targeted == 30
    Customer.update(email_marketing=False).where(Customer.code == "C002").execute()
    # Ten handled: C001's address refused, C002 withdrew, eight sent.
    assert campaigns.send_pending(shop, limit=10) == 8
    assert Campaign.get().status == "sending"
    assert campaigns.send_pending(shop) == 20
    assert campaigns.send_pending(shop) == 0
    assert Campaign.get().status == "sent"
    assert len(mail_to.messages) == 28
    assert len({message["To"] for message in mail_to.messages}) == 28
    states = dict(CampaignRecipient.select(CampaignRecipient.customer, CampaignRecipient.mail)
                  .tuples())
    assert (states["C001"], states["C002"], states["C003"]) == ("failed", "skipped", "sent")
    assert "550" in CampaignRecipient.get(CampaignRecipient.customer == "C001").mail_error
    message = mail_to.to("c3@example.com")[0]
    code = CampaignRecipient.get(CampaignRecipient.customer == "C003").code
    assert message["Subject"] == "Pat3, for you"
    assert message["From"] == "offers@shop.example"
    assert "unsubscribe" in message["List-Unsubscribe"]
    body = message.get_content()
    assert f"Hello Pat3, your code: {coupons.display(code)}" in body
    assert coupons.serial_of(coupons.normalize(body.split("code: ")[1].split()[0]),
                             campaign.key) >= 1


def test_a_server_that_cannot_be_reached_leaves_the_emails_queued(shop):
    campaign = campaigns.launch(shop, campaigns.save("marketing", values()), "marketing")
    assert campaigns.send_pending(shop) == 0  # not set up: they wait, nothing lost
    mail.save("admin", {"host": "127.0.0.1", "port": "1", "security": "none",
                        "sender": "offers@shop.example"})
    with pytest.raises(mail.MailError, match="could not use 127.0.0.1:1"):
        campaigns.send_pending(shop)
    assert CampaignRecipient.select().where(CampaignRecipient.mail == "pending").count() \
        == campaign.targeted


def sell(database, seq, customer, total, codes=(), discount=0, till="T01", kind="sale",
         at=None):
    uuid, at = f"{till}-{seq}", at or iso(now())
    applied = [{"promotion": "WINE10", "times": 1, "discount": discount}] if discount else []
    body = {**SALE, "uuid": uuid, "till": till, "seq": seq, "kind": kind,
            "customer": customer, "completed_at": at, "coupons": list(codes),
            "result": {**SALE["result"], "total": total, "applied": applied}}
    message = encode(Envelope(kind="sale.completed", store="test", till=till, seq=seq,
                              id=uuid, at=at, body=body))
    return apply(database, f"tilly/v1/test/{till}/sale", message)


def test_redemptions_count_once_and_the_return_is_measured_against_the_holdout(shop):
    campaign = campaigns.launch(shop, campaigns.save("marketing", values()), "marketing")
    targets = list(CampaignRecipient.select().where(~CampaignRecipient.holdout)
                   .order_by(CampaignRecipient.serial))
    held = [row.customer for row in CampaignRecipient.select()
            .where(CampaignRecipient.holdout)]
    first, second = targets[0], targets[1]
    assert sell(shop, 1, first.customer, 9000, [first.code], discount=1000) == "applied"
    assert sell(shop, 1, first.customer, 9000, [first.code], discount=1000) == "duplicate"
    assert sell(shop, 2, second.customer, 4500, [second.code], discount=500) == "applied"
    # The same code again at another till that was offline: counted once, flagged.
    assert sell(shop, 1, None, 4500, [second.code], discount=500, till="T02") == "applied"
    assert sell(shop, 3, held[0], 3000) == "applied"  # the holdout group buys too
    assert sell(shop, 4, first.customer, 1000, kind="refund") == "applied"
    assert sell(shop, 5, "NOBODY", 7000, ["WELCOME10"]) == "applied"  # not a campaign's
    assert CouponRedemption.select().count() == 3
    figures = campaign_results.results(Campaign.get())
    assert (figures["redeemed"], figures["repeats"]) == (2, 1)
    assert figures["revenue"] == 9000 + 4500
    assert figures["discounts"] == 1000 + 500 + 500
    assert (figures["target_spent"], figures["holdout_spent"]) == (9000 + 4500 - 1000, 3000)
    details = campaign_results.details(campaign)
    assert (details["target_buyers"], details["holdout_buyers"]) == (2, 1)
    assert CampaignRecipient.get(CampaignRecipient.id == first.id).spent == 9000 - 1000
    lift = Fraction(12500, campaign.targeted) - Fraction(3000, campaign.held_out)
    incremental = round(lift * campaign.targeted)
    assert figures["incremental"] == incremental
    assert figures["roi"] == Fraction(incremental - 1000, 2000 + 1000)
    assert figures["redemption_rate"] == Fraction(2, campaign.targeted)
    today = iso(now())[:10]
    assert campaign_results.report(today, today) == [{
        "key": "Spring", "launched": today, "targeted": campaign.targeted, "redeemed": 2,
        "revenue": 13500, "discounts": 2000, "incremental": incremental,
        "roi": f"{round(Fraction(incremental - 1000, 3000) * 100)}%"}]
    assert campaign_results.report("2020-01-01", "2020-01-31") == []


def test_only_what_is_spent_while_the_campaign_runs_counts(shop):
    campaign = campaigns.launch(shop, campaigns.save("marketing", values()), "marketing")
    Promotion.update(ends_at=now() + datetime.timedelta(days=7)).where(
        Promotion.code == "WINE10").execute()
    target = CampaignRecipient.select().where(~CampaignRecipient.holdout).first().customer
    before = iso(campaign.launched_at - datetime.timedelta(minutes=5))
    after = iso(now() + datetime.timedelta(days=8))
    assert sell(shop, 1, target, 1000, at=before) == "applied"  # an offline till, late
    assert sell(shop, 2, target, 2000, at=after) == "applied"
    assert sell(shop, 3, target, 4000) == "applied"
    assert Campaign.get().target_spent == 4000
    launched = iso(campaign.launched_at)
    assert campaign_results.window(Campaign.get())[0] == launched
    assert campaign_results.window(Campaign.get())[1] == iso(
        Promotion.get(Promotion.code == "WINE10").ends_at)


def test_no_holdout_means_no_return_can_be_told(shop):
    campaign = campaigns.launch(shop, campaigns.save("marketing", values(holdout_percent="0")),
                                "marketing")
    figures = campaign_results.results(campaign)
    assert (figures["incremental"], figures["roi"]) == (None, None)


BAD = [
    ({"name": ""}, "name", "1-100"),
    ({"name": "x" * 101}, "name", "1-100"),
    ({"prefix": "S"}, "prefix", "2 to 10"),
    ({"prefix": "SPRING-1"}, "prefix", "2 to 10"),
    ({"segment": ""}, "segment", "choose a segment"),
    ({"segment": "99999999999"}, "segment", "choose a segment"),
    ({"promotion": "NOPE"}, "promotion", "choose the promotion"),
    ({"holdout_percent": "60"}, "holdout_percent", "0-50"),
    ({"holdout_percent": "-1"}, "holdout_percent", "0-50"),
    ({"holdout_percent": "²"}, "holdout_percent", "0-50"),
    ({"segment": "9" * 5000}, "segment", "choose a segment"),
    ({"cost": "lots"}, "cost", "not an amount"),
    ({"cost": "-5"}, "cost", "not an amount"),
    ({"subject": ""}, "subject", "1-200"),
    ({"subject": "Hi {first}"}, "subject", "unknown placeholder {first}"),
    ({"message": "No code here"}, "message", "put {code}"),
    ({"message": "Code {code"}, "message", "lone brace"),
    ({"message": "x" * 5001}, "message", "1-5,000"),
]


def test_bad_campaigns_are_refused_field_by_field(shop):
    for changes, field, message in BAD:
        with pytest.raises(campaigns.CampaignError) as refused:
            campaigns.save("marketing", values(**changes))
        assert message in refused.value.fields[field], changes
    assert Campaign.select().count() == 0
    assert "coupon" not in Promotion.get(Promotion.code == "WINE10").rule


def test_names_prefixes_and_offers_are_each_one_campaigns(shop):
    promotions.save("system", {"code": "MILK5", "name": "Milk", "type": "percent_off",
                               "skus": "MILK", "percent": "5", "coupon": "MILKY"})
    campaigns.save("marketing", values())
    for changes, field, message in (
            ({"promotion": "MILK5"}, "name", "taken by another campaign"),
            ({"name": "B", "promotion": "MILK5"}, "prefix", "another campaign's prefix"),
            ({"name": "B", "prefix": "AUTUMN"}, "promotion", "another campaign's offer"),
            ({"name": "B", "prefix": "MILKY", "promotion": "P1"}, "prefix",
             "the coupon of promotion MILK5")):
        with pytest.raises(campaigns.CampaignError) as refused:
            campaigns.save("marketing", values(**changes))
        assert message in refused.value.fields[field]


def test_a_campaigns_offer_keeps_its_coupon_and_no_other_promotion_takes_it(shop):
    campaign = campaigns.save("marketing", values())
    offer = Promotion.get(Promotion.code == "WINE10")
    form = {**promotions.form_values(offer), "coupon": ""}
    saved, errors = promotions.save("system", form, offer)
    assert "its coupon stays SPRING" in errors["coupon"]
    saved, errors = promotions.save("system", {**form, "coupon": "spring"}, offer)
    assert errors is None  # read as the tills read codes: upper case
    other = {"code": "X1", "name": "X", "type": "percent_off", "skus": "MILK", "percent": "5"}
    _, errors = promotions.save("system", {**other, "coupon": "SPRING"})
    assert "the prefix of campaign Spring" in errors["coupon"]
    _, errors = promotions.save("system", {**other, "coupon": coupons.make_code(
        "AB", campaign.key, 1)})
    assert "shaped like a campaign's unique code" in errors["coupon"]
    with pytest.raises(ValueError, match="offer of campaign Spring"):
        promotions.delete("system", offer)
    changed = campaigns.save("marketing", values(promotion="P1"), campaign)  # a draft may
    assert changed.promotion.code == "P1"
    assert "coupon" not in Promotion.get(Promotion.code == "WINE10").rule
    assert Promotion.get(Promotion.code == "P1").rule["coupon"] == "SPRING"


def test_launching_needs_someone_to_email(shop):
    Customer.update(email_marketing=False).execute()
    campaign = campaigns.save("marketing", values())
    with pytest.raises(campaigns.CampaignError, match="none of its 40 customers"):
        campaigns.launch(shop, campaign, "marketing")
    assert Campaign.get().status == "draft"
