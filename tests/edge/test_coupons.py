"""Coupons at the till: the catalog's campaigns, a code checked offline against the catalog
and the journal, and the sale re-priced with it, through the till and its JSON API."""
import json

import pytest

from edge.catalog import Catalog, CatalogError
from edge.coupons import MAX_PER_SALE, accepted_code
from edge.errors import TillError
from edge.models import Audit, Outbox, SaleCoupon
from edge.sample_store import DEFAULT_PATH
from shared import coupons

from .conftest import MILK, WINE, store

KEY = "00112233445566778899aabbccddeeff"
OTHER_KEY = "ffeeddccbbaa99887766554433221100"
CAMPAIGN = {"prefix": "SPRING", "key": KEY, "name": "Spring offer"}
SPRING_PROMOTION = {"id": "PS", "name": "Spring: 20% off wine", "type": "percent_off",
                    "skus": ["WINE"], "percent": "20", "coupon": "SPRING"}
WELCOME_PROMOTION = {"id": "PW", "name": "Welcome: 1.00 off 10.00", "type": "threshold",
                     "min_subtotal": 1000, "amount_off": 100, "coupon": "WELCOME10"}


def with_campaign(data, promotions=(SPRING_PROMOTION,)):
    """A store file with the SPRING campaign and its promotion, as the hub publishes it."""
    data = json.loads(json.dumps(data))
    data["pricing"]["promotions"] += list(promotions)
    data["campaigns"] = [CAMPAIGN]
    return data


def campaign_store():
    """The tests' store with the SPRING campaign and the WELCOME10 plain coupon."""
    return with_campaign(store(), (SPRING_PROMOTION, WELCOME_PROMOTION))


def code(serial, key=KEY, prefix="SPRING"):
    return coupons.make_code(prefix, key, serial)


@pytest.fixture
def sample():
    """The sample store (its P08 takes WELCOME10) with the SPRING campaign."""
    return Catalog(with_campaign(json.loads(DEFAULT_PATH.read_text())), "sample")


@pytest.fixture
def store_data():
    return campaign_store()


@pytest.fixture
def till(app):
    return app.extensions["till"]


def add(api, typed, status=200):
    return api.post("/api/sale/coupons", {"code": typed}, status=status)


# -- the catalog's campaigns ---------------------------------------------------------------

def test_the_campaigns_section_is_indexed_and_may_be_absent(sample):
    assert sample.campaigns["SPRING"].key == KEY
    assert sample.campaigns["SPRING"].name == "Spring offer"
    assert sample.coupon_promotions == {"WELCOME10": ["P08"], "SPRING": ["PS"]}
    assert sample.plain_coupons == {"WELCOME10": "WELCOME10"}
    assert Catalog(store(), "plain").campaigns == {}


@pytest.mark.parametrize("campaigns, reason", [
    ({"prefix": "SPRING"}, "campaigns must be a list"),
    (["SPRING"], "campaigns 1: expected an object"),
    ([{**CAMPAIGN, "prefix": "S"}], "campaigns 1: prefix: a code prefix is 2 to 10"),
    ([{**CAMPAIGN, "prefix": "spring"}], "campaigns 1: prefix: .* capitals"),
    ([{**CAMPAIGN, "prefix": None}], "campaigns 1: prefix: a code prefix is 2 to 10"),
    ([{**CAMPAIGN, "key": KEY.upper()}], "campaigns 1: key must be 32 lowercase hex"),
    ([{**CAMPAIGN, "key": KEY[:-2]}], "campaigns 1: key must be 32 lowercase hex"),
    ([{**CAMPAIGN, "key": 12}], "campaigns 1: key must be 32 lowercase hex"),
    ([{**CAMPAIGN, "name": None}], "campaigns 1: name must be a string"),
    ([CAMPAIGN, {**CAMPAIGN, "key": OTHER_KEY}], "campaigns 2: duplicate prefix SPRING"),
])
def test_a_bad_campaign_is_refused_with_where_and_why(campaigns, reason):
    with pytest.raises(CatalogError, match=f"store file: {reason}"):
        Catalog({**campaign_store(), "campaigns": campaigns}, "bad")


# -- what the catalog accepts --------------------------------------------------------------

def test_codes_are_kept_normalized(sample):
    spring = code(7)
    typed = " " + coupons.display(spring).lower().replace("0", "o").replace("1", "l") + " "
    assert accepted_code(sample, typed) == spring
    assert accepted_code(sample, coupons.display(spring)) == spring
    assert accepted_code(sample, " welcome 10\n") == "WELCOME10"


def test_a_plain_code_is_kept_as_its_promotion_spells_it():
    data = store()
    data["pricing"]["promotions"].append({**WELCOME_PROMOTION, "coupon": "Welcome10"})
    assert accepted_code(Catalog(data, "mixed case"), "WELCOME10") == "Welcome10"


@pytest.mark.parametrize("typed, status, reason", [
    ("", 422, "enter a coupon code"),
    ("  \t", 422, "enter a coupon code"),
    (None, 422, "enter a coupon code"),
    (42, 422, "enter a coupon code"),
    ("X" * 41, 422, "at most 40 characters"),
    ("#!?*", 404, "unknown coupon code #!\\?\\*"),
    ("SAVE5", 404, "unknown coupon code SAVE5"),
    ("spring", 422, "SPRING is a campaign, not a coupon: enter the customer's own code"),
    (code(3, prefix="AUTUMN"), 404, "the AUTUMN campaign does not run at this store"),
    (code(3, OTHER_KEY), 422, "not a valid code of this campaign: check it for a typing"),
])
def test_the_catalog_refuses_with_a_clear_message(sample, typed, status, reason):
    with pytest.raises(TillError, match=reason) as refused:
        accepted_code(sample, typed)
    assert refused.value.status == status


def test_a_mistyped_character_is_refused(sample):
    good = code(9)
    prefix, body = coupons.split(good)
    swapped = f"{prefix}-{body[1]}{body[0]}{body[2:]}" if body[0] != body[1] else \
        f"{prefix}-{body[:-1]}{'0' if body[-1] != '0' else '1'}"
    with pytest.raises(TillError, match="typing mistake"):
        accepted_code(sample, swapped)


# -- on the sale, against the journal ------------------------------------------------------

def test_a_campaign_code_switches_its_promotion_on_and_is_kept_with_the_sale(cashier):
    cashier.post("/api/sale/scan", {"code": WINE})
    spring = code(11)
    sale = add(cashier, coupons.display(spring).lower())["sale"]
    assert sale["coupons"] == [spring]
    assert sale["savings"] == [{"promotion": "PS", "name": "Spring: 20% off wine",
                                "times": 1, "amount": 160}]
    assert sale["coupon_status"] == [{"code": spring, "display": coupons.display(spring),
                                      "promotions": ["Spring: 20% off wine"],
                                      "discount": 160}]
    assert [row.code for row in SaleCoupon.select()] == [spring]
    sale = cashier.post("/api/sale/tender", {"type": "card"})["sale"]
    assert sale["state"] == "completed"
    assert Outbox.get(Outbox.kind == "sale.completed").payload["coupons"] == [spring]


def test_a_coupon_scanned_or_keyed_into_the_code_box_joins_the_sale(cashier):
    cashier.post("/api/sale/scan", {"code": WINE})
    spring = code(13)
    sale = cashier.post("/api/sale/scan", {"code": coupons.display(spring)})["sale"]
    assert sale["coupons"] == [spring] and len(sale["lines"]) == 1
    assert cashier.post("/api/sale/scan", {"code": "welcome10"})["sale"]["coupons"] == [
        spring, "WELCOME10"]
    refused = cashier.post("/api/sale/scan", {"code": code(13, OTHER_KEY)}, status=422)
    assert "typing mistake" in refused["error"]  # a campaign's shape: checked as a coupon
    assert "barcode rejected" in cashier.post("/api/sale/scan", {"code": "HELLO"},
                                              status=422)["error"]
    assert "barcode rejected" in cashier.post("/api/sale/scan", {"code": "AUTUMN-1"},
                                              status=422)["error"]


def test_a_plain_code_shows_no_discount_until_its_condition_is_met(cashier):
    sale = add(cashier, "welcome10")["sale"]  # before any item: the sale starts with it
    assert sale["coupons"] == ["WELCOME10"]
    assert sale["coupon_status"][0]["discount"] == 0
    sale = cashier.post("/api/sale/scan", {"code": WINE})["sale"]  # 7.99: under 10.00
    assert sale["coupon_status"][0]["discount"] == 0
    sale = cashier.post("/api/sale/lines", {"sku": "MILK", "qty": 3})["sale"]
    assert sale["coupon_status"][0]["discount"] == 100
    assert "Welcome: 1.00 off 10.00" in [saving["name"] for saving in sale["savings"]]


def test_a_code_is_taken_once_per_sale_and_can_be_removed(cashier):
    cashier.post("/api/sale/scan", {"code": WINE})
    spring = code(12)
    total = add(cashier, spring)["sale"]["total"]
    assert "already on this sale" in add(cashier, coupons.display(spring), 409)["error"]
    add(cashier, "WELCOME10")
    assert "already on this sale" in add(cashier, "welcome10", 409)["error"]
    sale = cashier.post("/api/sale/coupons/remove",
                        {"code": coupons.display(spring)})["sale"]
    assert sale["coupons"] == ["WELCOME10"] and sale["total"] > total
    assert [row.code for row in SaleCoupon.select()] == ["WELCOME10"]
    assert "is not on this sale" in cashier.post("/api/sale/coupons/remove",
                                                 {"code": spring}, status=404)["error"]
    assert "enter a coupon code" in cashier.post("/api/sale/coupons/remove", {},
                                                 status=422)["error"]


def test_a_campaign_code_gives_its_discount_once_per_till(cashier):
    spring = code(21)
    cashier.post("/api/sale/scan", {"code": WINE})
    add(cashier, spring)
    ref = cashier.post("/api/sale/tender", {"type": "card"})["sale"]["ref"]
    cashier.post("/api/sale/scan", {"code": WINE})
    refused = add(cashier, coupons.display(spring), 409)
    assert refused["error"] == (f"{coupons.display(spring)} was already used on sale {ref} "
                                "at this till")
    assert add(cashier, code(22))["sale"]["coupons"] == [code(22)]  # another customer's
    # A plain code is for everyone: it goes on every sale.
    add(cashier, "WELCOME10")
    cashier.post("/api/sale/tender", {"type": "card"})
    cashier.post("/api/sale/scan", {"code": MILK})
    assert add(cashier, "WELCOME10")["sale"]["coupons"] == ["WELCOME10"]


def test_a_voided_sale_does_not_use_the_code_and_a_parked_one_holds_it(cashier):
    spring = code(31)
    cashier.post("/api/sale/scan", {"code": WINE})
    add(cashier, spring)
    cashier.post("/api/sale/void")
    cashier.post("/api/sale/scan", {"code": WINE})
    ref = add(cashier, spring)["sale"]["ref"]
    cashier.post("/api/sale/park")
    cashier.post("/api/sale/scan", {"code": MILK})
    assert f"is on parked sale {ref}: resume that sale" in add(cashier, spring, 409)["error"]


def test_coupons_cannot_change_once_payment_has_started_nor_on_a_return(cashier):
    cashier.post("/api/sale/scan", {"code": WINE})
    add(cashier, "WELCOME10")
    cashier.post("/api/sale/tender", {"type": "card", "amount": 100})
    assert "once payment has started" in add(cashier, code(41), 409)["error"]
    assert "once payment has started" in cashier.post(
        "/api/sale/coupons/remove", {"code": "WELCOME10"}, status=409)["error"]
    ref = cashier.post("/api/sale/tender", {"type": "card"})["sale"]["ref"]
    cashier.post("/api/returns", {"code": ref})
    assert add(cashier, "WELCOME10", 409)["error"] == "a return takes no coupons"


def test_a_sale_takes_a_bounded_number_of_coupons(till, cashier):
    cashier.post("/api/sale/scan", {"code": WINE})
    for serial in range(1, MAX_PER_SALE + 1):
        add(cashier, code(serial))
    assert f"at most {MAX_PER_SALE} coupons" in add(cashier, code(99), 409)["error"]
    assert len(till.journal.open_sale().coupons) == MAX_PER_SALE


def test_refusals_change_nothing_and_are_audited(cashier):
    cashier.post("/api/sale/scan", {"code": WINE})
    before = cashier.get("/api/sale")["sale"]
    add(cashier, "NOPE", 404)
    add(cashier, code(5, OTHER_KEY), 422)
    after = cashier.get("/api/sale")["sale"]
    assert (after["coupons"], after["total"]) == ([], before["total"])
    assert [entry.detail["code"] for entry in Audit.select().where(
        Audit.action == "coupon.refused").order_by(Audit.id)] == ["NOPE", code(5, OTHER_KEY)]


def test_coupon_entry_needs_sign_in_an_open_till_and_json(api, signed_in):
    assert add(signed_in, "WELCOME10", 409)["session_closed"] is True
    signed_in.post("/api/auth/sign-out")
    assert add(api, "WELCOME10", 401)["error"] == "please sign in"
    response = api.client.post("/api/sale/coupons", data="code=WELCOME10")
    assert response.status_code == 415


def test_the_receipt_lists_the_coupons_as_printed(till, cashier):
    spring = code(51)
    cashier.post("/api/sale/scan", {"code": WINE})
    add(cashier, spring)
    add(cashier, "WELCOME10")
    cashier.post("/api/sale/tender", {"type": "card"})
    text = till.devices.printer.last_text
    assert f"Coupon {coupons.display(spring)}" in text and "Coupon WELCOME10" in text
