"""The hub's JSON API with tokens: who may call it and what each role may do, products and
promotions written through the admin app's checks, publishing, the sales and the fleet,
paging, bad input; and docs/api/hub.yaml documents every route of it and no other."""
import re
from datetime import timedelta
from pathlib import Path

import pytest

from hub import api_tokens
from hub.ingest import apply
from hub.models import ApiToken, AuditEntry, Product, Promotion, User
from hub.stores import import_store_file
from shared.times import now
from tests.api_doc import documented, served
from tests.edge.conftest import MILK, store
from tests.hub.test_ingest import TOPIC, sale_message

DOC = Path(__file__).resolve().parents[2] / "docs" / "api" / "hub.yaml"
TEA = {"name": "Green tea", "tax_class": "zero", "unit_price": 249, "tags": ["tea"],
       "barcodes": ["4006381333931"]}


@pytest.fixture
def hub(hub_app):
    import_store_file(hub_app.extensions["hub_db"], store(), "system")
    return hub_app


class Client:
    """The API through Flask's test client, as the user ``username``'s token."""

    def __init__(self, app, username):
        self.flask = app.test_client()
        _, self.secret = api_tokens.issue("system", User.get(User.username == username),
                                          "test")

    def call(self, method, path, json=None, status=200, secret=None):
        response = self.flask.open(path, method=method, json=json, headers={
            "Authorization": f"Bearer {secret or self.secret}"})
        assert response.status_code == status, (response.status_code, response.get_json())
        return response.get_json()


def test_every_api_route_is_documented(hub_app):
    assert served(hub_app) == documented(DOC)


def test_no_valid_token_no_answer(hub):
    client = Client(hub, "admin")
    flask = hub.test_client()
    response = flask.get("/api/v1/products")
    assert response.status_code == 401 and "Bearer" in response.headers["WWW-Authenticate"]
    assert "a valid API token is needed" in response.get_json()["error"]
    assert flask.get("/api/v1/products", headers={
        "Authorization": "Basic YWRtaW46eA=="}).status_code == 401
    client.call("GET", "/api/v1/products", secret="tilly_not-a-token", status=401)
    client.call("GET", "/api/v1/products")
    token = ApiToken.get()
    token.expires_at = now() - timedelta(seconds=1)
    token.save()
    client.call("GET", "/api/v1/products", status=401)
    token.expires_at = None
    token.save()
    User.update(active=False).where(User.username == "admin").execute()
    client.call("GET", "/api/v1/products", status=401)
    User.update(active=True).where(User.username == "admin").execute()
    api_tokens.revoke("system", token)
    client.call("GET", "/api/v1/products", status=401)
    assert ApiToken.get().last_used_at is not None


def test_a_token_may_do_what_its_users_role_may(hub):
    viewer, marketing = Client(hub, "viewer"), Client(hub, "marketing")
    assert viewer.call("GET", "/api/v1/products/MILK")["unit_price"] == 100
    viewer.call("PUT", "/api/v1/products/TEA", TEA, status=403)
    viewer.call("POST", "/api/v1/stores/test/publish", status=403)
    marketing.call("GET", "/api/v1/sales", status=403)
    marketing.call("PUT", "/api/v1/products/TEA", TEA, status=403)
    marketing.call("PUT", "/api/v1/promotions/TEA10", {
        "name": "10% off tea", "type": "percent_off", "tags": ["tea"], "percent": "10"},
        status=201)
    assert not Product.select().where(Product.sku == "TEA").exists()


def test_products_are_written_with_the_admin_apps_checks(hub):
    manager = Client(hub, "store-manager")
    created = manager.call("PUT", "/api/v1/products/TEA", TEA, status=201)
    assert (created["unit_price"], created["barcodes"], created["sold_by"]) == (
        249, ["4006381333931"], "unit")
    assert manager.call("PUT", "/api/v1/products/TEA", {**TEA, "unit_price": 259},
                        status=200)["unit_price"] == 259
    refused = manager.call("PUT", "/api/v1/products/TEA", {
        "name": "", "tax_class": "luxury", "unit_price": 2.49, "tags": "tea",
        "barcodes": [MILK]}, status=422)["fields"]
    assert set(refused) == {"unit_price", "tags"}  # the types first
    assert refused["unit_price"] == "an integer of minor units"
    refused = manager.call("PUT", "/api/v1/products/TEA", {
        "name": "", "tax_class": "luxury", "unit_price": 249, "barcodes": [MILK]},
        status=422)["fields"]
    assert set(refused) == {"name", "tax_class"}
    refused = manager.call("PUT", "/api/v1/products/TEA", {**TEA, "barcodes": [MILK]},
                           status=422)["fields"]
    assert "is on product MILK" in refused["barcodes"]
    assert Product.get(Product.sku == "TEA").unit_price == 259
    assert "must be a JSON object" in manager.call("PUT", "/api/v1/products/TEA", [1],
                                                   status=400)["error"]
    manager.call("GET", "/api/v1/products/NOPE", status=404)
    assert AuditEntry.select().where(AuditEntry.user == "store-manager").count() == 2


def test_products_come_a_page_at_a_time_or_by_search(hub):
    viewer = Client(hub, "viewer")
    first = viewer.call("GET", "/api/v1/products?limit=3")
    assert [p["sku"] for p in first["products"]] == ["APPLE", "BREAD", "MILK"]
    rest = viewer.call("GET", f"/api/v1/products?limit=3&after={first['next']}")
    assert ([p["sku"] for p in rest["products"]], rest["next"]) == (["WINE"], None)
    found = viewer.call("GET", f"/api/v1/products?q={MILK}")["products"]
    assert [p["sku"] for p in found] == ["MILK"] and found[0]["barcodes"] == [MILK]
    viewer.call("GET", "/api/v1/products?limit=0", status=400)
    viewer.call("GET", "/api/v1/products?limit=many", status=400)
    viewer.call("GET", "/api/v1/products?limit=²", status=400)
    viewer.call("GET", f"/api/v1/products?limit={'9' * 5000}", status=400)


def test_promotions_and_publishing(hub):
    manager = Client(hub, "store-manager")
    body = {"name": "Wine 3 for 20", "type": "mix_match", "skus": ["WINE"], "qty": 3,
            "price": 2000, "stores": ["test"], "starts_at": "2026-12-01T00:00"}
    saved = manager.call("PUT", "/api/v1/promotions/WINE3", body, status=201)
    assert (saved["price"], saved["stores"], saved["status"]) == (2000, ["test"], "running")
    assert Promotion.get(Promotion.code == "WINE3").rule == {"skus": ["WINE"], "qty": 3,
                                                              "price": 2000}
    refused = manager.call("PUT", "/api/v1/promotions/WINE3", {**body, "qty": 1,
                                                                "price": "20"}, status=422)
    assert set(refused["fields"]) == {"price"}
    refused = manager.call("PUT", "/api/v1/promotions/WINE3", {**body, "qty": 1}, status=422)
    assert "integer >= 2" in refused["fields"]["qty"]
    codes = [p["code"] for p in manager.call("GET", "/api/v1/promotions")["promotions"]]
    assert codes == ["P1", "P2", "WINE3"]
    assert manager.call("POST", "/api/v1/stores/test/publish") == {"store": "test",
                                                                    "version": 1}
    assert manager.call("POST", "/api/v1/stores/test/publish")["version"] is None
    manager.call("POST", "/api/v1/stores/nowhere/publish", status=404)
    manager.call("DELETE", "/api/v1/promotions/WINE3", status=204)
    manager.call("DELETE", "/api/v1/promotions/WINE3", status=404)
    assert manager.call("GET", "/api/v1/stores")["stores"][0]["currency"]["code"] == "GBP"


def test_sales_by_time_and_store_a_page_at_a_time(hub):
    database = hub.extensions["hub_db"]
    for seq in range(1, 6):
        apply(database, TOPIC, sale_message(
            uuid=f"u-{seq}", seq=seq, completed_at=f"2026-11-25T10:0{seq}:00+00:00"))
    viewer = Client(hub, "viewer")
    page = viewer.call("GET", "/api/v1/sales?limit=2&from=2026-11-25T10:02:00Z")
    assert [sale["seq"] for sale in page["sales"]] == [2, 3]
    assert page["sales"][0]["store"] == "store-1"
    assert page["sales"][0]["check"] == "unverified"  # no catalog version named
    rest = viewer.call("GET", f"/api/v1/sales?limit=2&after={page['next']}"
                       "&to=2026-11-25T12:05:00%2B02:00")  # 10:05 UTC: not included
    assert [sale["seq"] for sale in rest["sales"]] == [4]
    assert viewer.call("GET", "/api/v1/sales?store=other")["sales"] == []
    viewer.call("GET", "/api/v1/sales?after=garbage", status=400)
    assert "ISO 8601" in viewer.call("GET", "/api/v1/sales?from=yesterday",
                                     status=400)["error"]
    assert viewer.call("GET", "/api/v1/fleet")["tills"][0]["till"] == "T01"


def test_an_admin_issues_and_revokes_tokens_in_the_admin_app(admin, hub):
    admin.sign_in("admin")
    page = admin.submit("/tokens", {"name": "Web shop", "user": "viewer", "days": "30"},
                        status=200).get_data(as_text=True)
    secret = re.search(r'data-test="token">(tilly_[^<]+)<', page)[1]
    assert api_tokens.user_of(secret).username == "viewer"
    assert "Web shop" in admin.page("/tokens") and secret not in admin.page("/tokens")
    admin.submit("/tokens", {"name": "", "user": "viewer"}, status=400)
    for days in ("forever", "0", "²", "9" * 5000):
        admin.submit("/tokens", {"name": "X", "user": "viewer", "days": days}, status=400)
    token = ApiToken.get(ApiToken.name == "Web shop")
    admin.submit(f"/tokens/{token.id}/revoke", {}, form_page="/tokens", status=200)
    assert api_tokens.user_of(secret) is None
    admin.client.post("/sign-out", data={"csrf_token": admin.token("/products")})
    admin.sign_in("store-manager")
    admin.page("/tokens", 403)
