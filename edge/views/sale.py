"""The sale at the counter: basket, customer, coupons, parked sales, tender, receipts."""
from flask import Blueprint, Response, jsonify, request

from ..errors import TillError
from .helpers import body, sale_answer, signed_in, till

bp = Blueprint("sale", __name__, url_prefix="/api")


@bp.get("/sale")
def current():
    signed_in()
    revision, view = till().snapshot()
    return jsonify({"sale": view, "revision": revision})


@bp.post("/sale/scan")
def scan():
    return sale_answer(till().scan(signed_in(), body().get("code")))


@bp.post("/sale/lines")
def add_line():
    data = body()
    return sale_answer(till().add_item(signed_in(), data.get("sku"), qty=data.get("qty"),
                                 weight_g=data.get("weight_g")))


@bp.patch("/sale/lines/<int:position>")
def change_line(position):
    data = body()
    staff = signed_in()
    if "discount_percent" in data:
        return sale_answer(till().discount_line(staff, position, data["discount_percent"],
                                                data.get("approver_pin")))
    if "unit_price" in data:
        return sale_answer(till().override_price(staff, position, data["unit_price"],
                                           data.get("approver_pin")))
    if "qty" in data:
        return sale_answer(till().set_qty(staff, position, data["qty"]))
    raise TillError("nothing to change: give qty, unit_price or discount_percent", 422)


@bp.post("/sale/discount")
def discount_sale():
    data = body()
    return sale_answer(till().discount_sale(signed_in(), percent=data.get("percent"),
                                            amount_off=data.get("amount_off"),
                                            pin=data.get("approver_pin")))


@bp.post("/sale/lines/<int:position>/void")
def void_line(position):
    return sale_answer(till().void_line(signed_in(), position, body().get("approver_pin")))


@bp.post("/sale/customer")
def attach_customer():
    data = body()
    return sale_answer(till().attach_customer(signed_in(), card=data.get("card"),
                                        phone=data.get("phone")))


@bp.post("/sale/customer/detach")
def detach_customer():
    body()
    return sale_answer(till().detach_customer(signed_in()))


@bp.post("/sale/coupons")
def add_coupon():
    return sale_answer(till().coupons.add(signed_in(), body().get("code")))


@bp.post("/sale/coupons/remove")
def remove_coupon():
    return sale_answer(till().coupons.remove(signed_in(), body().get("code")))


@bp.post("/sale/void")
def void_sale():
    return sale_answer(till().void_sale(signed_in(), body().get("approver_pin")))


@bp.post("/sale/park")
def park():
    body()
    till().park(signed_in())
    return sale_answer(None)


@bp.get("/parked")
def parked():
    signed_in()
    return jsonify({"parked": till().parked()})


@bp.post("/parked/<uuid>/resume")
def resume(uuid):
    body()
    return sale_answer(till().resume(signed_in(), uuid))


@bp.post("/sale/tender")
def tender():
    data = body()
    return sale_answer(till().tender(signed_in(), data.get("type"), data.get("amount"),
                                     code=data.get("code")))


@bp.post("/sale/payments/take-off")
def take_off_payment():
    data = body()
    return sale_answer(till().tenders.take_off(signed_in(), data.get("reference"),
                                               data.get("approver_pin")))


@bp.post("/sale/complete")
def settle():
    """A sale paid in full or more after a void after payment: the excess goes back."""
    body()
    return sale_answer(till().settle(signed_in()))


@bp.post("/sale/card-check")
def card_check():
    data = body()
    return sale_answer(till().check_card(signed_in(), data.get("went_through"),
                                         data.get("approver_pin")))


@bp.post("/receipts/last/reprint")
def reprint():
    body()
    return sale_answer(till().reprint_last(signed_in()))


@bp.post("/receipts/pending/print")
def print_pending():
    body()
    return jsonify(till().print_queued_receipts(signed_in()))


@bp.get("/changes")
def changes():
    """Long poll: answers when the till changed after version ``since`` (a scan from the
    hardware, a change from another screen) or after ``timeout`` seconds (at most 30).
    The signed-in cashier's screen gets the sale with it, saving a round trip per scan."""
    since = request.args.get("since", default=-1, type=int)
    timeout = min(max(request.args.get("timeout", default=25.0, type=float), 0.0), 30.0)
    version = till().wait_for_change(since, timeout)
    answer = {"version": version, "notice": till().notice, "drawer_open": till().drawer_open,
              "receipts_pending": till().receipts_pending()}
    try:
        signed_in()
    except TillError:
        pass  # not the cashier's screen: the customer display, an integration
    else:
        answer["revision"], answer["sale"] = till().snapshot()
    return jsonify(answer)


@bp.get("/display")
def display():
    """The customer display's view of the open sale: what the shopper may see."""
    view = till().current(None)
    if view is None:
        return jsonify({"sale": None, "store": till().catalog.store["name"]})
    shown = ("lines", "savings", "total_savings", "subtotal", "basket_discount", "taxes",
             "tax_total", "tax_mode", "total", "cash_total", "paid", "remaining", "currency")
    sale = {key: view[key] for key in shown}
    sale["customer"] = view["customer"]["name"] if view["customer"] else None
    return jsonify({"sale": sale, "store": till().catalog.store["name"]})


@bp.get("/store")
def store():
    """What screens need of the store before any sale: name, money, cash, reasons."""
    signed_in()
    catalog = till().catalog
    return jsonify({"name": catalog.store["name"], "currency": catalog.currency,
                    "denominations": catalog.denominations, "quick_cash": catalog.quick_cash,
                    "reasons": catalog.reasons, "till": till().till_id})


@bp.get("/receipts/last/preview.png")
def receipt_preview():
    """The last receipt as the printer would print it, as an image for the screen."""
    signed_in()
    return Response(till().receipt_preview(), mimetype="image/png")


@bp.get("/products")
def products():
    signed_in()
    found = till().catalog.search(request.args.get("q", ""), limit=30)
    return jsonify({"products": [
        {"sku": p.sku, "name": p.name, "unit_price": p.unit_price,
         "member_price": p.member_price, "by_weight": p.by_weight} for p in found]})
