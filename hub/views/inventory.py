"""The inventory pages: each store's stock with its flags, the ledger of a SKU,
adjustments, transfers, reorder points and suggestions, suppliers, purchase orders with
their receipts, and stocktakes. Viewers see; store managers and admins change (a form
with an error changes nothing and says what is wrong)."""
from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_wtf import FlaskForm

from shared.whole_numbers import MAX_ID, whole_number

from .. import inventory, purchasing, stock_checkpoints
from ..accounts import may
from ..inventory import InventoryError
from ..models import Product, PurchaseOrder, Stocktake, Supplier
from . import checked_form, current_user, requires

bp = Blueprint("inventory", __name__)
PAGE_ROWS = 200  # SKUs on a page of the stock report; "Next" goes on from the last


def _store_choice():
    stores = inventory.known_stores()
    store = request.values.get("store") or (stores[0] if stores else "")
    return stores, store


def _render(template, status=200, **context):
    return render_template(f"inventory/{template}", form=FlaskForm(), **context), status


@bp.get("/inventory")
@requires("inventory.view")
def stock():
    stores, store = _store_choice()
    query, flagged = request.args.get("q", ""), request.args.get("flagged") == "1"
    after = request.args.get("after", "")
    if store not in stores:
        return _render("stock.html", stores=stores, store=store, query=query,
                       flagged=flagged, rows=[], alerts={}, after=after, more=False)
    stock_checkpoints.refresh_if_behind(store)
    held = stock_checkpoints.flagged(store)  # what may be low or negative: for both
    rows = inventory.stock_rows(store, query, flagged, PAGE_ROWS + 1, after, held)
    return _render("stock.html", stores=stores, store=store, query=query, flagged=flagged,
                   rows=rows[:PAGE_ROWS], more=len(rows) > PAGE_ROWS, after=after,
                   alerts=inventory.alerts(store, held))


@bp.get("/inventory/<store>/<sku>")
@requires("inventory.view")
def ledger(store, sku):
    product = Product.get_or_none(Product.sku == sku)
    return _render("ledger.html", store=store, sku=sku, product=product,
                   movements=list(inventory.movements(store, sku)),
                   on_hand=inventory.on_hand(store, [sku]).get(sku, 0))


def _form_page(template, permission, change, context=dict):
    """A page with a form: GET shows it; a POST (which needs ``permission``) calls
    ``change(user, form)`` for the URL to go to next, or shows the page again with the
    InventoryError it raised (status 400; nothing was written)."""
    values, error = dict(request.form), None
    if request.method == "POST":
        if not may(current_user(), permission):
            abort(403, f"Your role may not do this ({permission}).")
        checked_form()
        try:
            return redirect(change(current_user(), request.form))
        except InventoryError as exc:
            error = str(exc)
    return _render(template, 400 if error else 200, values=values, error=error, **context())


def _store_context():
    stores, store = _store_choice()
    return {"stores": stores, "store": store}


def _stock_form(template, make, fields, done):
    """Adjust or transfer: ``make(user, *fields)`` writes the document; then its store."""
    def change(user, form):
        document = make(user, *(form.get(name) for name in fields))
        negative = inventory.left_negative(document)
        warning = f"; now negative in {document.store}: {', '.join(negative)}" \
            if negative else ""
        return url_for("inventory.stock", store=document.store,
                       done=done.format(number=document.number, to=document.to_store)
                       + warning)
    return _form_page(template, "inventory.manage", change, _store_context)


@bp.route("/inventory/adjust", methods=["GET", "POST"])
@requires("inventory.manage")
def adjust():
    return _stock_form("adjust.html", inventory.adjust, ("store", "sku", "quantity", "reason"),
                       "{number} recorded")


@bp.route("/inventory/transfer", methods=["GET", "POST"])
@requires("inventory.manage")
def transfer():
    return _stock_form("transfer.html", inventory.transfer, ("store", "to_store", "items"),
                       "{number} moved to {to}")


@bp.route("/inventory/reorder", methods=["GET", "POST"])
@requires("inventory.view")
def reorder():
    stores, store = _store_choice()

    def change(user, form):
        inventory.set_level(user, store, form.get("sku"), form.get("reorder_point"),
                            form.get("safety_stock"), form.get("supplier"))
        return url_for("inventory.reorder", store=store)
    return _form_page("reorder.html", "inventory.manage", change, lambda: {
        "stores": stores, "store": store, "suppliers": _suppliers(),
        "rows": inventory.reorder(store) if store in stores else []})


@bp.post("/inventory/reorder/draft-orders")
@requires("inventory.manage")
def draft_orders():
    """Draft purchase orders from the store's suggestions, to check and send."""
    checked_form()
    stores, store = _store_choice()
    try:
        made = purchasing.draft_from_suggestions(current_user(), store)
    except InventoryError as exc:
        return _render("reorder.html", 400, stores=stores, store=store, values={},
                       error=str(exc), suppliers=_suppliers(), rows=inventory.reorder(store)
                       if store in stores else [])
    return redirect(url_for("inventory.orders", done="Drafted " + ", ".join(
        order.number for order in made) + ": check the quantities and costs, then send"))


def _suppliers():
    return list(Supplier.select().order_by(Supplier.name))


@bp.route("/suppliers", methods=["GET", "POST"])
@requires("inventory.view")
def suppliers():
    def change(user, form):
        purchasing.create_supplier(user, form.get("name"), form.get("contact"),
                                   form.get("lead_time_days"))
        return url_for("inventory.suppliers")
    return _form_page("suppliers.html", "inventory.manage", change,
                      lambda: {"suppliers": _suppliers()})


# -- purchase orders -------------------------------------------------------------------------

@bp.route("/purchase-orders", methods=["GET", "POST"])
@requires("inventory.view")
def orders():
    def change(user, form):
        order = purchasing.create_order(user, form.get("supplier"), form.get("store"))
        return url_for("inventory.order", number=order.id)
    return _form_page("orders.html", "inventory.manage", change, lambda: {
        "orders": PurchaseOrder.select(PurchaseOrder, Supplier).join(Supplier)
        .order_by(PurchaseOrder.id.desc()).limit(200),
        "suppliers": _suppliers(), "stores": inventory.known_stores(),
        "states": purchasing.STATE_NAMES})


def _found(model, number, what):
    found = model.get_or_none(model.id == number)
    if found is None:
        abort(404, f"No {what} has the number {number}.")
    return found


def _act(found, actions, action, page):
    """A POST to one of a document's ``actions`` ({name: (permission, do(user, found,
    form))}): back to its page, or its page again with the error (status 400)."""
    if action not in actions:
        abort(404, f"There is no action {action} here.")
    permission, do = actions[action]
    if not may(current_user(), permission):
        abort(403, f"Your role may not do this ({permission}).")
    checked_form()
    try:
        do(current_user(), found, request.form)
    except InventoryError as exc:
        return page(found, str(exc), dict(request.form))
    return redirect(request.base_url.rsplit("/", 1)[0])


def _order_page(order, error=None, values=None):
    order = PurchaseOrder.get_by_id(order.id)  # as it is now
    lines = list(order.lines.order_by(order.lines.model.line))
    return _render("order.html", 400 if error else 200, order=order, lines=lines,
                   total=purchasing.order_total(order), error=error, values=values or {},
                   receipts=list(purchasing.receipts(order)),
                   line_total=purchasing.line_total, states=purchasing.STATE_NAMES)


@bp.get("/purchase-orders/<int:number>")
@requires("inventory.view")
def order(number):
    return _order_page(_found(PurchaseOrder, number, "purchase order"))


def _receive(user, order, form):
    quantities = {}
    for key, value in form.items():
        if key.startswith("line-"):
            line = whole_number(key.removeprefix("line-"), MAX_ID)
            if line is None:
                raise InventoryError(f"{key} is not a line of {order.number}")
            quantities[line] = value
    purchasing.receive(user, order, quantities, confirm_over=form.get("confirm_over") == "yes")


ORDER_ACTIONS = {
    "lines": ("inventory.manage", lambda user, order, form: purchasing.add_line(
        user, order, form.get("sku"), form.get("quantity"), form.get("unit_cost"))),
    "remove": ("inventory.manage", lambda user, order, form: purchasing.remove_line(
        user, order, form.get("line", type=int))),
    "send": ("inventory.manage", lambda user, order, form: purchasing.send(user, order)),
    "cancel": ("inventory.manage", lambda user, order, form: purchasing.cancel(user, order)),
    "receive": ("inventory.manage", _receive),
}


@bp.post("/purchase-orders/<int:number>/<action>")
@requires("inventory.manage")
def order_action(number, action):
    return _act(_found(PurchaseOrder, number, "purchase order"), ORDER_ACTIONS, action,
                _order_page)


# -- stocktakes ------------------------------------------------------------------------------

@bp.route("/stocktakes", methods=["GET", "POST"])
@requires("inventory.view")
def stocktakes():
    def change(user, form):
        stocktake = inventory.start_stocktake(user, form.get("store"), form.get("category"))
        return url_for("inventory.stocktake", number=stocktake.id)
    return _form_page("stocktakes.html", "inventory.manage", change, lambda: {
        "stocktakes": Stocktake.select().order_by(Stocktake.id.desc()).limit(200),
        "stores": inventory.known_stores(),
        "categories": [row[0] for row in Product.select(Product.category).distinct()
                       .where(Product.category != "").order_by(Product.category).tuples()]})


def _stocktake_page(stocktake, error=None, values=None):
    stocktake = Stocktake.get_by_id(stocktake.id)
    rows = inventory.variances(stocktake)
    return _render("stocktake.html", 400 if error else 200, stocktake=stocktake, rows=rows,
                   uncounted=inventory.uncounted(stocktake)
                   if stocktake.state == "counting" else [],
                   error=error, values=values or {})


@bp.get("/stocktakes/<int:number>")
@requires("inventory.view")
def stocktake(number):
    return _stocktake_page(_found(Stocktake, number, "stocktake"))


STOCKTAKE_ACTIONS = {
    "count": ("inventory.manage", lambda user, stocktake, form: inventory.count(
        user, stocktake, form.get("sku"), form.get("counted"))),
    "approve": ("inventory.approve", lambda user, stocktake, form: inventory.approve(
        user, stocktake, zero_uncounted=form.get("zero_uncounted") == "yes")),
    "cancel": ("inventory.manage", lambda user, stocktake, form: inventory.cancel_stocktake(
        user, stocktake)),
}


@bp.post("/stocktakes/<int:number>/<action>")
@requires("inventory.manage")
def stocktake_action(number, action):
    return _act(_found(Stocktake, number, "stocktake"), STOCKTAKE_ACTIONS, action,
                _stocktake_page)
