"""The hub's admin app through Flask's test client on a real SQLite file: sign-in, roles,
CSRF, session expiry, throttled guessing, the audit log, the fleet and dead letters."""
import time

import pytest

from hub import accounts
from hub.ingest import apply
from hub.models import AuditEntry, SaleCheck, User
from tests.hub.admin_client import PASSWORD
from tests.hub.test_fleet import TILL, presence


def test_pages_need_a_signed_in_user(admin):
    response = admin.client.get("/fleet")
    assert response.status_code == 302 and "/sign-in?next=" in response.location


def test_sign_in_then_out(admin):
    response = admin.sign_in("admin")
    assert response.status_code == 302 and response.location == "/"
    assert "Admin · Admin" in admin.page("/fleet")
    admin.submit("/sign-out", {}, form_page="/fleet")
    assert admin.client.get("/fleet").status_code == 302
    assert [entry.action for entry in AuditEntry.select().order_by(AuditEntry.id)] == [
        "user.sign_in", "user.sign_out"]  # the fixture's users were made without audit


def test_a_wrong_password_says_so_without_saying_which_part(admin):
    for username in ("admin", "nobody"):
        response = admin.sign_in(username, "wrong password")
        assert response.status_code == 400
        assert "user name or password is not right" in response.get_data(as_text=True)


def test_guessing_is_throttled(admin):
    for _ in range(accounts.MAX_FAILURES):
        assert admin.sign_in("viewer", "guess").status_code == 400
    refused = admin.sign_in("viewer")  # the right password, too late
    assert refused.status_code == 400
    assert "too many failed sign-ins" in refused.get_data(as_text=True)
    assert admin.sign_in("admin").status_code == 302  # other users are not locked out


def test_a_form_without_its_csrf_token_is_refused(admin):
    response = admin.client.post("/sign-in", data={"username": "admin",
                                                   "password": PASSWORD})
    assert response.status_code == 400
    assert "did not come from this site" in response.get_data(as_text=True)
    admin.sign_in("admin")
    response = admin.client.post("/users", data={"username": "eve", "name": "Eve",
                                                  "role": "admin", "password": "x" * 12})
    assert response.status_code == 400 and not User.select().where(
        User.username == "eve").exists()


@pytest.mark.parametrize("role, allowed", [
    ("admin", {"/fleet", "/dead-letters", "/users", "/audit"}),
    ("store-manager", {"/fleet"}),
    ("viewer", {"/fleet"}),
    ("marketing", set()),
])
def test_each_role_sees_only_what_it_may(admin, role, allowed):
    admin.sign_in(role)
    for path in ("/fleet", "/dead-letters", "/users", "/audit"):
        admin.page(path, 200 if path in allowed else 403)
    fleet_link = 'href="/fleet"' in admin.page("/fleet" if "/fleet" in allowed else "/audit",
                                               200 if allowed else 403)
    assert fleet_link == ("/fleet" in allowed)


def test_admins_add_users_and_the_audit_log_says_who(admin):
    admin.sign_in("admin")
    for bad, message in ((dict(username="Bad Name!"), "user name"),
                         (dict(password="short"), "password"),
                         (dict(username="viewer"), "taken")):
        response = admin.submit("/users", {"username": "sam", "name": "Sam Lee",
                                           "role": "store_manager", "password": "x" * 12,
                                           **bad})
        assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert User.select().count() == 4  # nothing half-written
    admin.submit("/users", {"username": "sam", "name": "Sam Lee", "role": "store_manager",
                            "password": "x" * 12}, status=302)
    assert User.get(User.username == "sam").role == "store_manager"
    log = admin.page("/audit")
    assert "user.create" in log and "sam" in log
    entry = AuditEntry.select().order_by(AuditEntry.id.desc()).get()
    assert (entry.user, entry.action, entry.target) == ("admin", "user.create", "sam")


def test_sessions_end(hub_app, admin):
    admin.sign_in("viewer")
    admin.page("/fleet")
    with admin.client.session_transaction() as session:  # signed in 13 hours ago
        session["since"] = time.time() - 13 * 3600
    assert admin.client.get("/fleet").status_code == 302
    assert hub_app.permanent_session_lifetime.total_seconds() == 30 * 60  # idle limit


def test_the_fleet_page_shows_tills_and_alerts(hub_app, admin):
    database = hub_app.extensions["hub_db"]
    apply(database, TILL + "birth", presence("birth", 1, backlog=2))
    apply(database, "tilly/v1/store-1/T02/death", presence("death", 0, till="T02"))
    admin.sign_in("viewer")
    page = admin.page("/fleet")
    assert 'data-test="till-store-1-T01"' in page and "0.2.0" in page
    table = admin.page("/fleet/table")
    assert "the till is offline" in table and "<html" not in table


def test_dead_letters_are_shown_to_admins(hub_app, admin):
    apply(hub_app.extensions["hub_db"], TILL + "sale", b"not json at all")
    admin.sign_in("admin")
    page = admin.page("/dead-letters")
    assert "not JSON" in page and "not json at all" in page


def test_sales_that_do_not_re_price_are_listed(hub_app, admin):
    SaleCheck.create(sale="s-1", store="store-1", status="ok", problems=[])
    SaleCheck.create(sale="s-2", store="store-1", status="mismatch",
                     problems=["total: till 100, hub 90"])
    admin.sign_in("viewer")
    page = admin.page("/sale-checks")
    assert "ok: 1; mismatch: 1; unverified: 0" in page
    assert "total: till 100, hub 90" in page and "s-1" not in page
    admin.sign_in("marketing")
    admin.page("/sale-checks", 403)
