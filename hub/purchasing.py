"""Suppliers and purchase orders, and receiving stock against them.

An order is for one store: draft (its lines may change) → sent → partially received →
received, or cancelled while anything is still awaited. Each receipt is checked whole
(every line's quantity, nothing more than still awaited unless the receiver confirms it)
and then written in one transaction: the lines' received quantities, the order's state and
one ``receipt`` movement per line received, referenced ``PO-00012/R2`` (the order's second
receipt). Costs are integers in minor units: per piece, or per kg for a weighed product
(ordered in grams).
"""
from shared.money import format_money, parse_money
from shared.times import iso, now
from shared.whole_numbers import MAX_ID, whole_number

from .accounts import audit
from .inventory import (
    InventoryError,
    check_store,
    database,
    find_product,
    locked,
    parse_quantity,
    reorder,
    unit_of,
)
from .models import PurchaseOrder, PurchaseOrderLine, StockMovement, Supplier, insert_rows

MAX_COST = 10**9
OPEN = ("sent", "partially_received")
STATE_NAMES = {"draft": "Draft", "sent": "Sent", "partially_received": "Partially received",
               "received": "Received", "cancelled": "Cancelled"}


def line_total(line):
    """A line's cost in minor units: a weighed product's cost is per kg, rounded half up."""
    if line.unit == "g":
        return (line.quantity * line.unit_cost + 500) // 1000
    return line.quantity * line.unit_cost


def order_total(order):
    return sum(line_total(line) for line in order.lines)


def create_supplier(by, name, contact, lead_time_days):
    name, contact = (name or "").strip(), (contact or "").strip()
    if not 1 <= len(name) <= 100:
        raise InventoryError("name: 1-100 characters")
    if len(contact) > 200:
        raise InventoryError("contact: at most 200 characters")
    lead = parse_quantity(lead_time_days, "lead time (days)")
    if lead > 365:
        raise InventoryError("lead time (days): at most 365")
    with database().atomic():
        if Supplier.select().where(Supplier.name == name).exists():
            raise InventoryError(f"name: there is already a supplier {name!r}")
        supplier = Supplier.create(name=name, contact=contact, lead_time_days=lead)
        audit(by, "supplier.create", name, {"contact": contact, "lead_time_days": lead})
    return supplier


def create_order(by, supplier_id, store):
    supplier = Supplier.get_or_none(Supplier.id == whole_number(supplier_id, MAX_ID))
    if supplier is None:
        raise InventoryError("supplier: choose one from the list")
    store = check_store(store)
    with database().atomic():
        order = PurchaseOrder.create(supplier=supplier, store=store, created_by=by.username)
        audit(by, "po.create", order.number, {"supplier": supplier.name, "store": store})
    return order


def _state(order, *states):
    if order.state not in states:
        raise InventoryError(f"{order.number} is {STATE_NAMES[order.state].lower()}: "
                             "that cannot be done to it now")


def _fresh(order):
    """The order as it is now, locked until the transaction ends (call inside one)."""
    return locked(PurchaseOrder.select().where(PurchaseOrder.id == order.id)).get()


def add_line(by, order, code, quantity, unit_cost):
    """A line of a draft; a SKU already on the order gets the new quantity and cost."""
    product = find_product(code)
    quantity = parse_quantity(quantity)
    try:
        cost = parse_money(unit_cost or "")
    except ValueError as exc:
        raise InventoryError(f"unit cost: {exc}") from None
    if cost > MAX_COST:
        raise InventoryError(f"unit cost: at most {format_money(MAX_COST)}")
    with database().atomic():
        order = _fresh(order)
        _state(order, "draft")
        lines = list(order.lines)
        line = next((line for line in lines if line.sku == product.sku), None) \
            or PurchaseOrderLine(order=order, sku=product.sku, unit=unit_of(product),
                                 line=max((line.line for line in lines), default=0) + 1)
        line.quantity, line.unit_cost = quantity, cost
        line.save()
        audit(by, "po.line", order.number, {"sku": product.sku, "quantity": quantity,
                                            "unit_cost": cost})
    return line


def remove_line(by, order, number):
    with database().atomic():
        order = _fresh(order)
        _state(order, "draft")
        deleted = PurchaseOrderLine.delete().where(
            (PurchaseOrderLine.order == order) & (PurchaseOrderLine.line == number)).execute()
        if not deleted:
            raise InventoryError(f"{order.number} has no line {number}")
        audit(by, "po.line.remove", order.number, {"line": number})


def send(by, order):
    with database().atomic():
        order = _fresh(order)
        _state(order, "draft")
        if not order.lines.count():
            raise InventoryError(f"{order.number} has no lines: add what to order first")
        order.state, order.sent_at = "sent", now()
        order.save()
        audit(by, "po.send", order.number, {"supplier": order.supplier.name})
    return order


def cancel(by, order):
    with database().atomic():
        order = _fresh(order)
        _state(order, "draft", *OPEN)
        order.state, order.closed_at = "cancelled", now()
        order.save()
        audit(by, "po.cancel", order.number, {})
    return order


def receive(by, order, quantities, confirm_over=False):
    """Receive ``quantities`` ({line number: text}; empty or 0: nothing of that line).
    More than a line still awaits is refused unless ``confirm_over``."""
    with database().atomic():
        order = _fresh(order)
        _state(order, *OPEN)
        lines = list(order.lines.order_by(PurchaseOrderLine.line))
        received, errors, over = {}, [], []
        for line in lines:
            text = str(quantities.get(line.line, "") or "").strip()
            if not text:
                continue
            try:
                quantity = parse_quantity(text, f"line {line.line} ({line.sku})", zero=True)
            except InventoryError as exc:
                errors.append(str(exc))
                continue
            if quantity:
                received[line.line] = quantity
                awaited = max(0, line.quantity - line.received)
                if quantity > awaited:
                    over.append(f"line {line.line} ({line.sku}): {quantity} {line.unit} "
                                f"received, {awaited} awaited")
        unknown = sorted(set(quantities) - {line.line for line in lines})
        if unknown:
            errors.append(f"{order.number} has no line {unknown[0]}")
        if errors:
            raise InventoryError("; ".join(errors))
        if not received:
            raise InventoryError("nothing to receive: enter the quantity that came of at "
                                 "least one line")
        if over and not confirm_over:
            raise InventoryError("more than ordered: " + "; ".join(over) + ". Tick "
                                 "“receive more than ordered” to take it in anyway")
        order.receipts += 1
        reference = f"{order.number}/R{order.receipts}"
        at = iso(now())
        rows = []
        for line in lines:
            if line.line in received:
                line.received += received[line.line]
                line.save()
                rows.append({"store": order.store, "sku": line.sku,
                             "quantity": received[line.line], "unit": line.unit,
                             "kind": "receipt", "reference": reference, "line": line.line,
                             "at": at})
        insert_rows(StockMovement, rows)
        complete = all(line.received >= line.quantity for line in lines)
        order.state = "received" if complete else "partially_received"
        if complete:
            order.closed_at = now()
        order.save()
        audit(by, "po.receive", reference,
              {"store": order.store, "lines": {str(number): quantity
                                               for number, quantity in received.items()},
               "over": bool(over)})
    return order


def draft_from_suggestions(by, store):
    """A draft order per supplier of ``store``'s reorder suggestions (SKUs without a
    supplier are left out), each line at the cost last ordered from that supplier, or 0
    where there is none yet (to be corrected before sending)."""
    store = check_store(store)
    wanted = {}
    for row in reorder(store):
        if row["suggested"] and row["supplier_id"]:
            wanted.setdefault(row["supplier_id"], []).append(row)
    if not wanted:
        raise InventoryError(f"nothing to order for {store}: no SKU with a supplier has a "
                             "suggestion")
    orders = []
    with database().atomic():
        for supplier_id, rows in sorted(wanted.items()):
            order = PurchaseOrder.create(supplier=supplier_id, store=store,
                                         created_by=by.username)
            for number, row in enumerate(rows, 1):
                last = (PurchaseOrderLine.select(PurchaseOrderLine.unit_cost)
                        .join(PurchaseOrder)
                        .where((PurchaseOrder.supplier == supplier_id)
                               & (PurchaseOrderLine.sku == row["sku"]))
                        .order_by(PurchaseOrderLine.id.desc()).first())
                product = find_product(row["sku"])
                PurchaseOrderLine.create(order=order, line=number, sku=row["sku"],
                                         unit=unit_of(product), quantity=row["suggested"],
                                         unit_cost=last.unit_cost if last else 0)
            audit(by, "po.create", order.number,
                  {"supplier": order.supplier.name, "store": store,
                   "from": "reorder suggestions"})
            orders.append(order)
    return orders


def receipts(order):
    """The order's receipt movements, oldest first."""
    return (StockMovement.select()
            .where(StockMovement.reference.startswith(order.number + "/R"))
            .order_by(StockMovement.id))
