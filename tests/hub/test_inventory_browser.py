"""The inventory pages in real headless Chromium, on a laptop and a tablet: an admin orders
from a supplier and receives the order in two parts (refused, then confirmed, over what
was ordered), and counts a category, sees the variance and approves it."""
import pytest
from playwright.sync_api import expect

from hub import inventory, purchasing
from hub.models import Product, User
from hub.stock import on_hand
from tests.edge.browser import Screen
from tests.hub.test_admin_browser import SIZES, hub_url  # noqa: F401 (fixture)

sizes = pytest.mark.parametrize("size", SIZES,
                                ids=lambda size: f"{size['width']}x{size['height']}")


@pytest.fixture
def shop(hub_url):  # noqa: F811 (the fixture imported above)
    """The admin app with milk and cheese in store-1, and a dairy supplier."""
    Product.create(sku="MILK", name="Milk", category="Dairy", tax_class="standard",
                   unit_price=119)
    Product.create(sku="CHEESE", name="Cheese", category="Dairy", tax_class="standard",
                   sold_by="weight", unit_price=1990)
    ada = User.get(User.username == "ada")
    purchasing.create_supplier(ada, "Dairy Co", "", "3")
    inventory.adjust(ada, "store-1", "MILK", "6", "opening stock")
    inventory.adjust(ada, "store-1", "CHEESE", "1000", "opening stock")
    return hub_url


def enter(hub, button, **fields):
    """Fill the fields (``line_sku`` is ``data-test="line-sku"``), then tap ``button``."""
    for name, value in fields.items():
        hub(name.replace("_", "-")).fill(value)
    hub.tap(button)


@pytest.fixture
def hub(chromium, shop, size, request):
    context = chromium.new_context(viewport=size)
    screen = Screen(context.new_page(), request.node.originalname, size)
    screen.page.goto(shop + "/inventory")
    enter(screen, "sign-in", username="ada", password="correct horse battery")
    expect(screen("stock")).to_be_visible()
    yield screen
    context.close()
    assert screen.errors == []


@sizes
def test_receiving_a_purchase_order_in_two_parts(hub):
    hub.tap("nav-orders")
    hub("order-supplier").select_option(label="Dairy Co")
    hub.tap("create-order")
    enter(hub, "add-line", line_sku="MILK", line_quantity="24", line_cost="0.61")
    enter(hub, "add-line", line_sku="CHEESE", line_quantity="5000", line_cost="twelve")
    expect(hub("error")).to_contain_text("not an amount")
    enter(hub, "add-line", line_cost="11.20")
    expect(hub("order-total")).to_have_text("70.64")
    hub.tap("send-order")
    expect(hub("order-state")).to_have_text("Sent")

    enter(hub, "receive", receive_1="10")
    expect(hub("order-state")).to_have_text("Partially received")
    expect(hub("received-1")).to_have_text("10")
    hub.shot("partly-received")

    enter(hub, "receive", receive_1="16", receive_2="5000")
    expect(hub("error")).to_contain_text("more than ordered: line 1 (MILK): 16 pcs received, "
                                         "14 awaited")
    expect(hub("receive-1")).to_have_value("16")  # what was typed stays
    hub.tap("confirm-over", "receive")
    expect(hub("order-state")).to_have_text("Received")
    expect(hub("receipts")).to_contain_text("PO-00001/R2")
    hub.shot("received")
    assert on_hand("store-1") == {"MILK": 32, "CHEESE": 6000}


@sizes
def test_a_stocktake_counted_and_approved(hub):
    hub.tap("nav-stocktakes")
    hub("stocktake-category").select_option("Dairy")
    hub.tap("start-stocktake")
    expect(hub("stocktake-state")).to_have_text("counting")
    expect(hub("uncounted")).to_contain_text("MILK (6)")
    enter(hub, "save-count", count_sku="MILK", count_quantity="4")
    enter(hub, "save-count", count_sku="CHEESE", count_quantity="1 kg")
    expect(hub("error")).to_contain_text("not a whole number")
    enter(hub, "save-count", count_quantity="1000")
    expect(hub("variance-MILK")).to_have_text("-2")
    expect(hub("variance-CHEESE")).to_have_text("0")
    hub.shot("variance")
    hub.tap("approve")
    expect(hub("stocktake-state")).to_have_text("approved")
    hub.page.get_by_role("link", name="Inventory").first.click()
    expect(hub("stock-MILK")).to_contain_text("4")
    hub.shot("stock")
    assert on_hand("store-1") == {"MILK": 4, "CHEESE": 1000}
