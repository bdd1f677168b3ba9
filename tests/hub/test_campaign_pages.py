"""The campaign pages with the Flask test client, on SQLite and PostgreSQL: who may see and
do what, a campaign made, refused field by field and launched, its figures and recipients,
and the Email settings with a test message through a real SMTP server."""
import pytest

from hub import campaigns, promotions
from hub.models import AuditEntry, Campaign, CampaignRecipient, MailSettings, Segment
from tests.hub.admin_client import Admin
from tests.hub.test_campaigns import customers

FORM = {"name": "Spring", "prefix": "spring", "promotion": "WINE10", "holdout_percent": "10",
        "cost": "25.00", "subject": "For you, {name}", "message": "Your code: {code}"}


@pytest.fixture
def ready(hub_app):
    """Ten reachable customers in a segment, and a promotion to offer."""
    with hub_app.app_context():
        promotions.save("system", {"code": "WINE10", "name": "10% off wine",
                                   "type": "percent_off", "skus": "WINE", "percent": "10"})
        customers(10)
        segment = Segment.create(name="Regulars", rules={"min_visits": 1},
                                 updated_by="system")
    return {**FORM, "segment": str(segment.id)}


def test_marketing_makes_and_launches_a_campaign_and_follows_it(hub_app, ready):
    admin = Admin(hub_app.test_client())
    admin.sign_in("marketing")
    assert "Email is not set up yet" in admin.page("/campaigns")
    response = admin.submit("/campaigns/new", ready, status=302)
    page = admin.page(response.location)
    assert 'data-test="reachable">10<' in page
    assert "Launch" in page
    campaign_id = response.location.rsplit("/", 1)[1]
    admin.submit(f"/campaigns/{campaign_id}", {**ready, "cost": "30.00"}, status=302)
    admin.submit(f"/campaigns/{campaign_id}/launch", {}, form_page=f"/campaigns/{campaign_id}",
                 status=302)
    page = admin.page(f"/campaigns/{campaign_id}")
    with hub_app.app_context():
        campaign = Campaign.get()
        assert (campaign.status, campaign.prefix, campaign.cost) == ("sending", "SPRING", 3000)
        assert f"0 / {campaign.targeted}" in page
        code = CampaignRecipient.select().where(CampaignRecipient.code.is_null(False)).first()
        actions = [entry.action for entry in AuditEntry.select().order_by(AuditEntry.id)]
    assert actions[-3:] == ["campaign.create", "campaign.update", "campaign.launch"]
    assert 'data-test="campaign-form"' not in page  # launched: no longer edited
    csv = admin.client.get(f"/campaigns/{campaign_id}/recipients.csv").get_data(as_text=True)
    assert csv.splitlines()[0] == "customer,group,code,email,error,emailed_at"
    assert f"{code.customer},target,SPRING-" in csv
    assert len(csv.splitlines()) == 11
    assert "Spring" in admin.page("/campaigns")
    assert "Campaigns of the period" in admin.page("/reports")  # the ROI among the reports
    table = admin.client.get("/reports/campaigns.csv").get_data(as_text=True).splitlines()
    assert table[0] == "Campaign,Launched,Sent codes,Redeemed,Revenue with codes,Discounts," \
        "Incremental revenue,ROI"
    assert table[1].startswith("Spring,")
    # Launching again, or changing it now, is refused with a reason.
    again = admin.submit(f"/campaigns/{campaign_id}/launch", {},
                         form_page=f"/campaigns/{campaign_id}", status=400)
    assert "launched already" in again.get_data(as_text=True)
    changed = admin.submit(f"/campaigns/{campaign_id}", ready, status=400)
    assert "cannot be changed" in changed.get_data(as_text=True)


@pytest.mark.parametrize("changes, field", [
    ({"name": ""}, "name"), ({"prefix": "x"}, "prefix"), ({"segment": "abc"}, "segment"),
    ({"promotion": "NOPE"}, "promotion"), ({"holdout_percent": "99"}, "holdout_percent"),
    ({"cost": "1,2,3"}, "cost"), ({"subject": "{oops}"}, "subject"),
    ({"message": "no code"}, "message"),
])
def test_bad_input_is_answered_by_its_field_and_nothing_is_made(hub_app, ready, changes,
                                                                field):
    admin = Admin(hub_app.test_client())
    admin.sign_in("marketing")
    page = admin.submit("/campaigns/new", {**ready, **changes}, status=400)
    text = page.get_data(as_text=True)
    assert f'data-test="error-{field}"' in text
    for name, value in {**ready, **changes}.items():
        if name not in ("segment", "promotion", "message"):
            assert f'value="{value}"' in text  # what was typed is kept
    with hub_app.app_context():
        assert Campaign.select().count() == 0


def test_each_role_may_do_what_its_permissions_say(hub_app, ready):
    with hub_app.app_context():
        campaign = campaigns.save("system", ready)
    for role, view, edit, email in (("viewer", 403, 403, 403),
                                    ("store-manager", 200, 403, 403),
                                    ("marketing", 200, 302, 403), ("admin", 200, 302, 200)):
        admin = Admin(hub_app.test_client())
        admin.sign_in(role)
        admin.page("/campaigns", view)
        admin.page(f"/campaigns/{campaign.id}", view)
        admin.page("/campaigns/email", email)
        token_page = "/campaigns" if view == 200 else "/sign-in"
        admin.submit(f"/campaigns/{campaign.id}", {**ready, "name": f"By {role}"},
                     form_page=token_page, status=edit)
    admin = Admin(hub_app.test_client())
    admin.sign_in("marketing")
    forged = admin.client.post("/campaigns/new", data={**ready, "name": "Forged"})
    assert forged.status_code == 400


def test_the_email_settings_are_checked_kept_and_tried(hub_app, smtp):
    port, mailbox = smtp
    admin = Admin(hub_app.test_client())
    admin.sign_in("admin")
    settings = {"host": "127.0.0.1", "port": str(port), "security": "none", "username": "",
                "password": "", "sender": "offers@shop.example"}
    for changes, field in (({"host": "bad host!"}, "host"), ({"port": "0"}, "port"),
                           ({"port": "smtp"}, "port"), ({"port": "²"}, "port"),
                           ({"port": "9" * 5000}, "port"), ({"security": "ssl3"}, "security"),
                           ({"sender": "not an address"}, "sender"),
                           ({"password": "x" * 201}, "password")):
        page = admin.submit("/campaigns/email", {**settings, **changes}, status=400)
        assert f'data-test="error-{field}"' in page.get_data(as_text=True)
    with hub_app.app_context():
        assert MailSettings.select().count() == 0
    admin.submit("/campaigns/email", {**settings, "username": "u", "password": "secret"},
                 status=200)
    admin.submit("/campaigns/email", settings, status=200)  # an empty password keeps it
    with hub_app.app_context():
        assert MailSettings.get().password == "secret"
    page = admin.page("/campaigns/email")
    assert "secret" not in page
    refused = admin.submit("/campaigns/email/test", {"to": "nobody"},
                           form_page="/campaigns/email", status=400)
    assert 'data-test="error-to"' in refused.get_data(as_text=True)
    sent = admin.submit("/campaigns/email/test", {"to": "me@shop.example"},
                        form_page="/campaigns/email", status=200)
    assert "A test message went to me@shop.example" in sent.get_data(as_text=True)
    assert mailbox.to("me@shop.example")[0]["Subject"] == "Tilly hub: test message"
    failed = admin.submit("/campaigns/email/test", {"to": "x@bounce.example"},
                          form_page="/campaigns/email", status=400)
    assert "did not take the message" in failed.get_data(as_text=True)
