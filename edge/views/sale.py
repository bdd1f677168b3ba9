"""The sale at the counter: basket, customer, parked sales, tender, receipts."""
from flask import Blueprint, jsonify, request

from ..till import TillError
from .helpers import body, signed_in, till

bp = Blueprint("sale", __name__, url_prefix="/api")


def _view(view):
    """A sale answer with its revision, so a screen can drop answers older than its own."""
    return jsonify({"sale": view, "revision": view["revision"] if view else till().revision})


@bp.get("/sale")
def current():
    signed_in()
    revision, view = till().snapshot()
    return jsonify({"sale": view, "revision": revision})


@bp.post("/sale/scan")
def scan():
    return _view(till().scan(signed_in(), body().get("code")))


@bp.post("/sale/lines")
def add_line():
    data = body()
    return _view(till().add_item(signed_in(), data.get("sku"), qty=data.get("qty"),
                                 weight_g=data.get("weight_g")))


@bp.patch("/sale/lines/<int:position>")
def change_line(position):
    data = body()
    staff = signed_in()
    if "unit_price" in data:
        return _view(till().override_price(staff, position, data["unit_price"],
                                           data.get("approver_pin")))
    if "qty" in data:
        return _view(till().set_qty(staff, position, data["qty"]))
    raise TillError("nothing to change: give qty or unit_price", 422)


@bp.post("/sale/lines/<int:position>/void")
def void_line(position):
    return _view(till().void_line(signed_in(), position, body().get("approver_pin")))


@bp.post("/sale/customer")
def attach_customer():
    data = body()
    return _view(till().attach_customer(signed_in(), card=data.get("card"),
                                        phone=data.get("phone")))


@bp.post("/sale/customer/detach")
def detach_customer():
    body()
    return _view(till().detach_customer(signed_in()))


@bp.post("/sale/void")
def void_sale():
    return _view(till().void_sale(signed_in(), body().get("approver_pin")))


@bp.post("/sale/park")
def park():
    body()
    till().park(signed_in())
    return _view(None)


@bp.get("/parked")
def parked():
    signed_in()
    return jsonify({"parked": till().parked()})


@bp.post("/parked/<uuid>/resume")
def resume(uuid):
    body()
    return _view(till().resume(signed_in(), uuid))


@bp.post("/sale/tender")
def tender():
    data = body()
    return _view(till().tender(signed_in(), data.get("type"), data.get("amount")))


@bp.post("/receipts/last/reprint")
def reprint():
    body()
    return _view(till().reprint_last(signed_in()))


@bp.get("/changes")
def changes():
    """Long poll: answers when the till changed after version ``since`` (a scan from the
    hardware, a change from another screen) or after ``timeout`` seconds (at most 30).
    The signed-in cashier's screen gets the sale with it, saving a round trip per scan."""
    since = request.args.get("since", default=-1, type=int)
    timeout = min(max(request.args.get("timeout", default=25.0, type=float), 0.0), 30.0)
    version = till().wait_for_change(since, timeout)
    answer = {"version": version, "notice": till().notice, "drawer_open": till().drawer_open}
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


@bp.get("/products")
def products():
    signed_in()
    found = till().catalog.search(request.args.get("q", ""), limit=30)
    return jsonify({"products": [
        {"sku": p.sku, "name": p.name, "unit_price": p.unit_price,
         "member_price": p.member_price, "by_weight": p.by_weight} for p in found]})
