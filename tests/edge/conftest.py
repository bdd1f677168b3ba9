"""Fixtures for the till: a small store with known prices, and a till on real SQLite files
with simulated devices."""
import hashlib
import json

import pytest
from playwright.sync_api import expect

from edge.app import create_app
from edge.config import load_config

from .browser import Screen, TillServer

PINS = {"S01": "1111", "S02": "2222", "S03": "9999"}


def ean13(body12):
    """Independent check-digit computation, so tests don't trust the code under test."""
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body12))
    return body12 + str((10 - total % 10) % 10)


def pin_hash(pin, salt="testsalt"):
    digest = hashlib.pbkdf2_hmac("sha256", pin.encode(), salt.encode(), 1000).hex()
    return f"pbkdf2:sha256:1000${salt}${digest}"


MILK = ean13("500000000001")
BREAD = ean13("500000000002")
APPLE = ean13("500000000003")
WINE = ean13("500000000004")


def store():
    return {
        "format": 1,
        "store": {"id": "test", "name": "Test Grocer", "address": ["1 High St", "Town"],
                  "phone": "01234 567890", "tax_id": "GB999", "footer": "Thanks",
                  "currency": {"code": "GBP", "exponent": 2, "symbol": "£"},
                  "rcn_region": "de", "loyalty_prefix": "LC"},
        "pricing": {
            "tax_mode": "exclusive", "tax_rounding": "line", "rounding": "half_up",
            "cash_increment": 5,
            "tax_classes": {"standard": [{"id": "vat20", "rate": "20", "name": "VAT 20%"}],
                            "zero": []},
            "promotions": [
                {"id": "P1", "name": "Milk 3 for 2.50", "type": "mix_match", "skus": ["MILK"],
                 "qty": 3, "price": 250},
                {"id": "P2", "name": "10% off fruit", "type": "percent_off",
                 "tags": ["fruit"], "percent": "10"},
            ],
        },
        "products": [
            {"sku": "MILK", "name": "Milk 2L", "barcodes": [MILK], "unit_price": 100,
             "tax_class": "zero", "tags": ["dairy"]},
            {"sku": "BREAD", "name": "Sourdough loaf", "barcodes": [BREAD], "unit_price": 345,
             "member_price": 299, "tax_class": "zero"},
            {"sku": "APPLE", "name": "Apples loose", "barcodes": [APPLE], "unit_price": 250,
             "tax_class": "zero", "tags": ["fruit"], "sold_by": "weight", "rcn_item": "0401"},
            {"sku": "WINE", "name": "Red wine", "barcodes": [WINE], "unit_price": 799,
             "tax_class": "standard"},
        ],
        "customers": [{"id": "C1", "name": "Jo Bloggs", "card": "LC1001",
                       "phone": "07700 900123", "member": True}],
        "staff": [
            {"id": "S01", "name": "Alice", "role": "cashier", "pin_hash": pin_hash("1111")},
            {"id": "S02", "name": "Sam", "role": "supervisor", "pin_hash": pin_hash("2222")},
            {"id": "S03", "name": "Mia", "role": "manager", "pin_hash": pin_hash("9999")},
        ],
        "denominations": [2000, 1000, 500, 200, 100, 50, 20, 10, 5],
        "quick_cash": [500, 1000, 2000],
    }


@pytest.fixture
def store_data():
    """The store file's content; a test module overrides it for a store of its own."""
    return store()


@pytest.fixture
def store_file(tmp_path, store_data):
    path = tmp_path / "store.json"
    path.write_text(json.dumps(store_data))
    return path


@pytest.fixture
def till_config(tmp_path, store_file):
    return load_config(overrides={"till": {"data_dir": str(tmp_path / "till"),
                                           "store_file": str(store_file)}})


@pytest.fixture
def app(till_config):
    app = create_app(till_config)
    yield app
    app.extensions["till"].devices.close()


class Api:
    """The till's JSON API through Flask's test client; raises on unexpected statuses."""

    def __init__(self, client):
        self.client = client

    def call(self, method, path, json=None, status=200):
        response = self.client.open(path, method=method, json=json)
        assert response.status_code == status, (response.status_code, response.get_json())
        return response.get_json()

    def get(self, path, status=200):
        return self.call("GET", path, status=status)

    def post(self, path, json=None, status=200):
        return self.call("POST", path, json={} if json is None else json, status=status)

    def patch(self, path, json, status=200):
        return self.call("PATCH", path, json=json, status=status)


@pytest.fixture
def api(app):
    return Api(app.test_client())


@pytest.fixture
def signed_in(api):
    """A cashier signed in at a till that is not yet open (no cash session)."""
    api.post("/api/auth/sign-in", {"pin": PINS["S01"]})
    return api


@pytest.fixture
def cashier(signed_in):
    """A cashier at an open till: a float of 100.00 counted."""
    signed_in.post("/api/session/open", {"float": 10000})
    return signed_in


@pytest.fixture
def till_server(tmp_path, store_file):
    """The till in its own process (``python -m edge``) on the test store, as it runs for real."""
    with TillServer(store_file, tmp_path / "till-server") as server:
        yield server


VIEWPORTS = [{"width": 800, "height": 480}, {"width": 1280, "height": 800}]


@pytest.fixture(params=VIEWPORTS, ids=lambda size: f"{size['width']}x{size['height']}")
def viewport(request):
    """The kiosk's screen sizes: a 7" (800x480) and a 10" (1280x800) touch screen."""
    return request.param


@pytest.fixture
def open_screen(chromium, till_server, viewport, request):
    """Opens a page of the till in a browser of its own; no page may raise a script error."""
    contexts, screens = [], []

    def open_page(path):
        context = chromium.new_context(viewport=viewport)
        contexts.append(context)
        screen = Screen(context.new_page(), request.node.originalname, viewport)
        screens.append(screen)
        screen.page.goto(till_server.url + path)
        return screen

    yield open_page
    for context in contexts:
        context.close()
    assert [error for screen in screens for error in screen.errors] == []


@pytest.fixture
def kiosk(open_screen):
    """The cashier's kiosk page, on its sign-in screen."""
    screen = open_screen("/")
    expect(screen("screen-sign-in")).to_be_visible()
    return screen
