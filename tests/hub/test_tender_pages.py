"""The admin app's vouchers and store credit: issue, find, void, adjust; as roles allow,
with CSRF, clear errors and an audit trail."""
from hub.models import AuditEntry, StoreCredit, Voucher


def test_a_manager_issues_finds_and_voids_a_voucher(admin):
    admin.sign_in("store-manager")
    response = admin.submit("/vouchers", {"amount": "25.00", "expires": "2030-12-31",
                                          "note": "raffle prize"}, status=302)
    voucher = Voucher.get()
    assert response.location.endswith(f"/vouchers/{voucher.code}")
    assert (voucher.issued, voucher.balance, voucher.expires) == (2500, 2500, "2030-12-31")
    page = admin.page(response.location)
    assert voucher.code in page and "Balance <strong>25.00" in page and "issue" in page
    rows = admin.client.get(f"/vouchers?q={voucher.code[-4:].lower()}",
                            headers={"HX-Request": "true"}).get_data(as_text=True)
    assert f"voucher-{voucher.code}" in rows and "<html" not in rows
    assert "No voucher matches" in admin.page("/vouchers?q=ZZZZZZZZ")
    admin.submit(response.location, {"reason": ""}, status=400)
    page = admin.submit(response.location, {"reason": "lost"}, status=200) \
        .get_data(as_text=True)
    assert "· void" in page and Voucher.get().status == "void"
    assert [entry.action for entry in AuditEntry.select().where(
        AuditEntry.action.startswith("voucher"))] == ["voucher.issue", "voucher.void"]


def test_bad_input_is_refused_clearly(admin):
    admin.sign_in("admin")
    for amount, expires, message in (("abc", "", "not an amount"), ("0", "", "positive"),
                                     ("5", "someday", "a date")):
        page = admin.submit("/vouchers", {"amount": amount, "expires": expires},
                            status=400).get_data(as_text=True)
        assert message in page
    assert Voucher.select().count() == 0
    admin.page("/vouchers/NOPE", status=404)


def test_store_credit_is_adjusted_with_a_reason_once(admin):
    admin.sign_in("admin")
    form = "/store-credit?customer=C1"
    admin.submit("/store-credit", {"customer": "C1", "amount": "10.00", "reason": "",
                                   "reference": "r1"}, status=400, form_page=form)
    data = {"customer": "C1", "amount": "10.00", "reason": "goodwill", "reference": "r1"}
    admin.submit("/store-credit", data, status=302, form_page=form)
    admin.submit("/store-credit", data, status=302, form_page=form)  # sent twice
    assert StoreCredit.get_by_id("C1").balance == 1000
    page = admin.submit("/store-credit", {**data, "amount": "-20", "reference": "r2"},
                        status=400, form_page=form).get_data(as_text=True)
    assert "below zero (10.00 left)" in page
    admin.submit("/store-credit", {**data, "amount": "-2.50", "reference": "r3"},
                 status=302, form_page=form)
    page = admin.page(form)
    assert "balance <strong>7.50" in page and "goodwill" in page
    assert "customer=C1" in admin.page("/store-credit")  # the customers with credit
    assert AuditEntry.select().where(AuditEntry.action == "store_credit.adjust").count() == 2


def test_roles_and_csrf(admin):
    admin.sign_in("viewer")
    assert "Vouchers" in admin.page("/vouchers") and "issue-voucher" not in admin.page(
        "/vouchers")
    admin.submit("/vouchers", {"amount": "5"}, status=403)
    admin.submit("/store-credit", {"customer": "C1", "amount": "5", "reason": "x"},
                 status=403, form_page="/store-credit?customer=C1")
    admin.client.post("/sign-out", data={"csrf_token": admin.token("/vouchers")})
    admin.sign_in("marketing")
    admin.page("/vouchers", status=403)
    admin.client.post("/sign-out", data={"csrf_token": admin.token("/products")})
    admin.sign_in("admin")
    assert admin.client.post("/vouchers", data={"amount": "5"}).status_code == 400  # no token
    assert Voucher.select().count() == 0
