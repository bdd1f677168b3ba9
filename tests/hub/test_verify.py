"""The hub re-prices each sale from the catalog version the till ran: the till's sales
check out, whatever promotions, members, scale labels, overrides and discounts they had;
a tampered price or total is flagged, and what cannot be checked says why."""
import copy

import pytest

from edge.models import Outbox
from edge.sample_store import variable_measure_code
from hub.catalog_versions import publish
from hub.ingest import apply
from hub.models import SaleCheck, open_database
from hub.verify import Verifier
from shared import coupons
from shared.protocol import Envelope, encode
from tests.edge.conftest import BREAD, MILK, PINS, WINE, store


@pytest.fixture
def sold(app, cashier):
    """Sales of every kind made at a real till; their outbox bodies and the version."""
    def tender(kind="card"):
        return cashier.post("/api/sale/tender", {"type": kind})

    for code in (MILK, MILK, MILK, WINE):  # a promotion
        cashier.post("/api/sale/scan", {"code": code})
    tender()
    cashier.post("/api/sale/scan", {"code": "LC1001"})  # member price
    cashier.post("/api/sale/scan", {"code": BREAD})
    cashier.post("/api/sale/scan", {"code": variable_measure_code("weight", "0401", 1500)})
    cashier.post("/api/sale/scan", {"code": variable_measure_code("price", "0401", 388)})
    tender()
    cashier.post("/api/sale/scan", {"code": WINE})  # a supervisor's override and discount
    cashier.patch("/api/sale/lines/1", {"unit_price": 500, "approver_pin": PINS["S02"]})
    cashier.post("/api/sale/scan", {"code": BREAD})
    cashier.post("/api/sale/discount", {"amount_off": 99, "approver_pin": PINS["S02"]})
    tender()
    bodies = [row.payload for row in Outbox.select().order_by(Outbox.id)
              if row.kind == "sale.completed"]
    return bodies, app.extensions["till"].catalog.version


def verifier(version):
    return Verifier(lambda store_id, wanted: store() if wanted == version else None)


def test_every_sale_a_till_makes_checks_out(sold):
    bodies, version = sold
    assert len(bodies) == 3 and all(body["catalog"] == version for body in bodies)
    check = verifier(version)
    assert [check.check("test", body) for body in bodies] == [("ok", [])] * 3


def test_a_tampered_total_is_flagged(sold):
    bodies, version = sold
    body = copy.deepcopy(bodies[0])
    body["result"]["total"] -= 1
    status, problems = verifier(version).check("test", body)
    assert status == "mismatch" and any(problem.startswith("total:") for problem in problems)


def test_a_price_the_catalog_does_not_have_is_flagged(sold):
    bodies, version = sold
    body = copy.deepcopy(bodies[0])
    body["lines"][-1]["unit_price"] = 1  # the wine, not overridden
    assert verifier(version).check("test", body) == ("mismatch", [
        "line 2: unit price 1, catalog 799"])


def test_an_unknown_catalog_version_is_unverified_not_ok(sold):
    bodies, _ = sold
    status, problems = verifier("another").check("test", bodies[0])
    assert status == "unverified" and "not known to the hub" in problems[0]



def test_the_ingest_checks_each_sale_against_the_published_version(tmp_path, sold):
    """The hub published the till's store as version 1; sales priced on it check out, a
    tampered one is a mismatch, one priced on a version the hub never made is unverified."""
    bodies, _ = sold
    database = open_database(tmp_path / "hub.sqlite3")
    assert publish(database, "test", store()) == 1
    tampered = {**copy.deepcopy(bodies[1]), "uuid": "tampered", "seq": 99}
    tampered["result"]["total"] += 100
    unknown = {**copy.deepcopy(bodies[2]), "uuid": "unknown", "seq": 98, "catalog": "7"}
    for body in [*({**body, "catalog": "1"} for body in bodies), {**tampered, "catalog": "1"},
                 unknown]:
        message = encode(Envelope(kind="sale.completed", store="test", till="T01",
                                  seq=body["seq"], id=body["uuid"], at=body["completed_at"],
                                  body=body))
        assert apply(database, "tilly/v1/test/T01/sale", message) == "applied"
    checks = {check.sale: check.status for check in SaleCheck.select()}
    assert [checks[body["uuid"]] for body in bodies] == ["ok"] * 3
    assert (checks["tampered"], checks["unknown"]) == ("mismatch", "unverified")
    assert SaleCheck.get_by_id("tampered").problems[0].startswith("total:")


def test_campaign_codes_must_be_genuine_under_the_catalogs_key(sold):
    bodies, version = sold
    key = "0f" * 16
    snapshot = store()
    snapshot["campaigns"] = [{"prefix": "SPRING", "key": key, "name": "Spring"}]
    snapshot["pricing"]["promotions"].append({
        "id": "PS", "name": "Spring bread", "type": "percent_off", "skus": ["BREAD"],
        "percent": "10", "coupon": "SPRING"})  # no bread in the first sale: no discount
    check = Verifier(lambda store_id, wanted: snapshot if wanted == version else None)
    body = copy.deepcopy(bodies[0])
    genuine = coupons.make_code("SPRING", key, 5)
    body["coupons"] = [genuine, "WELCOME10"]
    assert check.check("test", body) == ("ok", [])
    forged = coupons.make_code("SPRING", "1e" * 16, 5)
    other = coupons.make_code("AUTUMN", key, 5)
    body["coupons"] = [forged, other]
    status, problems = check.check("test", body)
    assert status == "mismatch"
    assert problems == [f"coupon: {coupons.display(forged)} is not a valid code of this "
                        "campaign: check it for a typing mistake",
                        f"coupon: {other} is of no campaign of this catalog"]
