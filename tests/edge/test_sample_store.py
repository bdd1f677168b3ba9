import json
import re
from collections import Counter
from pathlib import Path

import pytest
from biip.gtin import Gtin
from werkzeug.security import check_password_hash

from edge import sample_store
from shared import pricing
from shared.barcodes import classify

ROOT = Path(__file__).resolve().parents[2]
# The PINs the demo README shows; the module docstring must say the same.
PINS = {"S01": "1111", "S02": "3333", "S03": "2222", "S04": "9999"}


@pytest.fixture(scope="module")
def store():
    return sample_store.build()


@pytest.fixture(scope="module")
def products(store):
    return {product["sku"]: product for product in store["products"]}


def scan(store, code):
    return classify(code, store["store"]["rcn_region"],
                    loyalty_prefix=store["store"]["loyalty_prefix"])


def test_the_committed_file_is_a_fresh_generation(store):
    committed = sample_store.DEFAULT_PATH.read_text(encoding="utf-8")
    assert committed == sample_store.render(store)
    assert json.loads(committed) == store


def test_the_command_writes_the_same_bytes(tmp_path, store):
    out = tmp_path / "nested" / "store.json"
    sample_store.main(["--out", str(out)])
    assert out.read_bytes() == sample_store.DEFAULT_PATH.read_bytes()


def test_a_real_sized_shop(store, products):
    assert 300 <= len(store["products"]) <= 400 and len(products) == len(store["products"])
    departments = Counter(product["department"] for product in store["products"])
    assert len(departments) >= 10 and min(departments.values()) >= 5
    assert len({product["name"] for product in store["products"]}) == len(products)
    assert sum("member_price" in product for product in store["products"]) >= 20
    for product in store["products"]:
        assert product["tax_class"] in store["pricing"]["tax_classes"]
        assert type(product["unit_price"]) is int and product["unit_price"] > 0
        assert product.get("member_price", 0) < product["unit_price"]
        assert product["tags"] and product["tags"] == sorted(set(product["tags"]))


def test_weighed_items_have_a_plu_and_no_ean(store):
    weighed = [p for p in store["products"] if p["sold_by"] == "weight"]
    assert 12 <= len(weighed) <= 18
    assert all(p["barcodes"] == [] and len(p["rcn_item"]) == 4 for p in weighed)
    assert len({p["rcn_item"] for p in weighed}) == len(weighed)
    units = [p for p in store["products"] if p["sold_by"] == "unit"]
    assert all(p["barcodes"] and "rcn_item" not in p for p in units)


def test_every_barcode_is_a_unique_german_ean13(store):
    codes = [code for product in store["products"] for code in product["barcodes"]]
    assert len(codes) == len(set(codes))
    for code in codes:
        assert scan(store, code).gtin == code and len(code) == 13
        assert Gtin.parse(code).prefix.usage == "GS1 Germany"


def test_sample_scans_classify_and_find_their_product(store, products):
    scans = store["sample_scans"]
    assert {s["kind"] for s in scans} == {"gtin", "variable", "loyalty"}
    assert {"weight_g", "price"} <= {key for s in scans for key in s}
    cards = {customer["card"]: customer["id"] for customer in store["customers"]}
    for sample in scans:
        result = scan(store, sample["code"])
        assert result.kind == sample["kind"], sample["label"]
        if result.kind == "gtin":
            assert result.gtin in products[sample["sku"]]["barcodes"]
        elif result.kind == "variable":
            assert result.item == products[sample["sku"]]["rcn_item"]
            assert (result.weight_g, result.price) == (sample.get("weight_g"),
                                                       sample.get("price"))
        else:
            assert cards[result.card] == sample["customer"]


def test_customers_carry_loyalty_cards(store):
    customers = store["customers"]
    assert len(customers) == 20 and len({c["card"] for c in customers}) == 20
    assert len({c["id"] for c in customers}) == 20 and all(c["member"] for c in customers)
    assert all(scan(store, c["card"]).kind == "loyalty" for c in customers)


def test_staff_pins_verify(store):
    roles = Counter(member["role"] for member in store["staff"])
    assert roles["cashier"] >= 2 and roles["supervisor"] >= 1 and roles["manager"] >= 1
    for member in store["staff"]:
        pin = PINS[member["id"]]
        assert f"{member['name']} ({member['id']}) {pin}" in " ".join(
            sample_store.__doc__.split())
        assert check_password_hash(member["pin_hash"], pin)
        assert not check_password_hash(member["pin_hash"], "0000")


def test_promotions_cover_the_contract(store, products):
    promotions = store["pricing"]["promotions"]
    assert 10 <= len(promotions) <= 15 and all(p["name"] for p in promotions)
    assert {p["type"] for p in promotions} == {"percent_off", "mix_match", "buy_x_get_y",
                                                "threshold"}
    assert any(p.get("member_only") for p in promotions)
    assert sum("coupon" in p for p in promotions) == 1
    assert any("reward_tags" in p for p in promotions)
    tags = {tag for product in products.values() for tag in product["tags"]}
    for promotion in promotions:
        assert set(promotion.get("skus", [])) <= set(products)
        assert set(promotion.get("tags", []) + promotion.get("reward_tags", [])) <= tags


def line(number, product, **amount):
    return {"line": number, "sku": product["sku"], "unit_price": product["unit_price"],
            "tax_class": product["tax_class"], "tags": product["tags"],
            **({"member_price": product["member_price"]} if "member_price" in product else {}),
            **(amount or {"qty": 1})}


def by_name(products, name):
    return next(p for p in products.values() if p["name"] == name)


def test_the_pricing_engine_prices_a_member_basket(store, products):
    engine = pricing.Engine(store["pricing"])
    ipa, chicken = by_name(products, "Craft IPA 0.33 l"), by_name(products,
                                                                  "Chicken breast fillets 400 g")
    gouda = by_name(products, "Young Gouda from the counter")
    coffee = by_name(products, "Espresso beans 1 kg")
    basket = [line(1, ipa, qty=3), line(2, chicken, qty=2), line(3, gouda, weight_g=348),
              line(4, coffee, qty=4)]
    member = engine.price({"customer": {"member": True}, "coupons": [], "lines": basket})
    guest = engine.price({"customer": None, "coupons": ["WELCOME10"], "lines": basket})
    assert member["optimal"] and guest["optimal"]
    assert member["lines"][1]["base"] == 2 * chicken["member_price"]
    assert {"P03", "P05", "P07"} <= {a["promotion"] for a in member["applied"]}
    assert member["basket_promotion"] == "P07" and guest["basket_promotion"] == "P08"
    assert member["total"] < guest["total"]
    assert member["total"] == sum(line["net"] for line in member["lines"])
    assert {tax["id"] for tax in member["taxes"]} == {"vat7", "vat19"}


def test_the_demo_till_boots_and_sells_the_sample_scans(tmp_path, store):
    """``make demo``: the default configuration's store file loads, the PINs its banner
    prints sign in with their roles, and every sample code (the README's too) sells."""
    from edge.app import create_app
    from edge.config import load_config

    from .conftest import Api

    app = create_app(load_config(overrides={"till": {"data_dir": str(tmp_path)}}))
    try:
        api = Api(app.test_client())
        banner = (ROOT / "hub" / "demo.py").read_text()  # what make demo prints
        pins = re.findall(r"(cashier|supervisor|manager) (\d{4})", banner)
        assert len(pins) == 3
        for role, pin in pins:
            assert api.post("/api/auth/sign-in", {"pin": pin})["role"] == role
        api.post("/api/auth/sign-in", {"pin": PINS["S01"]})
        api.post("/api/session/open", {"float": 0})
        readme = re.search(r"`sample_scans`, e\.g\.(.*?)\n- ", (ROOT / "README.md").read_text(),
                           re.S).group(1)
        codes = re.findall(r"`([A-Z0-9]+)`", readme)
        assert len(codes) == 4
        for code in [scan["code"] for scan in store["sample_scans"]] + codes:
            assert api.post("/api/sale/scan", {"code": code})["sale"]["state"] == "open"
        assert api.post("/api/sale/tender", {"type": "card"})["sale"]["state"] == "completed"
    finally:
        app.extensions["till"].devices.close()
