"""Inventory on the stock ledger (``hub/stock.py``): adjustments, transfers, stocktakes,
low stock and reorder suggestions. Purchase orders and their receipts are in
``hub/purchasing.py``.

Every change is checked whole before anything is written, then written in one
transaction with its movements, so a form with junk in it changes nothing. Quantities are
whole units of the product's stock unit (pieces, or grams when it is sold by weight).
Stock may go negative (a sale is never refused for want of stock); such lines are flagged.

A transfer is one step: the source's ``transfer`` movement out and the destination's in
are written together. Stock is never "in transit", so no transfer can be lost half way; a
difference found on arrival is an adjustment at the destination.

A stocktake counts each SKU at a moment of its own while the store keeps selling. What
the ledger expects of a count is what it held at the stocktake's start plus what moved
between the start and that SKU's count (sales that reach the hub late included, by the
time they happened), so a sale during the count is neither counted twice nor missed. The
variance is worked out again at approval and written as ``stocktake`` movements.
"""
import re
from datetime import timedelta

from peewee import JOIN, Case, SqliteDatabase, fn

from shared.barcodes import BarcodeError, classify
from shared.times import iso, now
from shared.whole_numbers import MAX_ID, whole_number

from . import stock_checkpoints
from .accounts import audit
from .models import (
    Barcode,
    EnrolledTill,
    Product,
    PurchaseOrder,
    PurchaseOrderLine,
    StockDocument,
    StockLevel,
    StockMovement,
    Stocktake,
    StocktakeCount,
    Store,
    Supplier,
    TillPresence,
    insert_rows,
)
from .product_search import matching_skus
from .stock import on_hand

MAX_QUANTITY = 10**8  # a line's quantity: 100 t in grams, far above any real one
SALES_DAYS = 28  # the sales velocity's window
DEFAULT_LEAD_DAYS = 7  # for a SKU without a supplier
_INTEGER = re.compile(r"[+-]?\d{1,9}")


class InventoryError(ValueError):
    """A change that cannot be made; the message says why, for the person who asked."""


def database():
    return StockMovement._meta.database


def locked(query):
    """``query`` FOR UPDATE where the database has it (SQLite's writers queue anyway)."""
    return query if isinstance(database(), SqliteDatabase) else query.for_update()


def unit_of(product):
    return "g" if product.sold_by == "weight" else "pcs"


def known_stores():
    """The store ids tills use: the catalog's stores, and those of tills enrolled or seen."""
    stores = {row[0] for row in Store.select(Store.code).tuples()}
    stores |= {row[0] for row in EnrolledTill.select(EnrolledTill.store).distinct().tuples()}
    stores |= {row[0] for row in TillPresence.select(TillPresence.store).distinct().tuples()}
    return sorted(stores)


def check_store(store, label="store"):
    store = (store or "").strip()
    if store not in known_stores():
        raise InventoryError(f"{label}: {store!r} is not a store (of the catalog, or of a "
                             "till)" if store else f"{label}: choose a store")
    return store


def find_product(code):
    """The product with this SKU or barcode."""
    code = (code or "").strip()
    if not code:
        raise InventoryError("SKU or barcode: enter one")
    product = Product.get_or_none(Product.sku == code)
    if product is None and code.isdigit():
        try:
            scan = classify(code)
        except BarcodeError:
            scan = None
        if scan is not None and scan.kind == "gtin":
            barcode = Barcode.get_or_none(Barcode.code == scan.gtin)
            product = barcode.product if barcode else None
    if product is None:
        raise InventoryError(f"no product has the SKU or barcode {code!r}")
    return product


def parse_quantity(text, label="quantity", signed=False, zero=False):
    """An integer from a form: positive (or non-zero when ``signed``; ``zero`` allows 0)."""
    text = (text or "").strip() if isinstance(text, str) else str(text)
    if not _INTEGER.fullmatch(text):
        raise InventoryError(f"{label}: {text!r} is not a whole number" if text
                             else f"{label}: enter a whole number")
    value = int(text)
    if abs(value) > MAX_QUANTITY:
        raise InventoryError(f"{label}: at most {MAX_QUANTITY:,}")
    if value < 0 and not signed:
        raise InventoryError(f"{label}: not below zero")
    if value == 0 and not zero:
        raise InventoryError(f"{label}: not zero")
    return value


def _movement(store, sku, quantity, unit, kind, reference, line, at):
    return {"store": store, "sku": sku, "quantity": quantity, "unit": unit, "kind": kind,
            "reference": reference, "line": line, "at": at}


# -- adjustments and transfers ---------------------------------------------------------------

def adjust(by, store, code, quantity, reason):
    """A correction of one SKU's stock (signed: breakage is negative); its document."""
    store = check_store(store)
    product = find_product(code)
    quantity = parse_quantity(quantity, signed=True)
    reason = (reason or "").strip()
    if not 1 <= len(reason) <= 200:
        raise InventoryError("reason: say why, in at most 200 characters")
    with database().atomic():
        document = StockDocument.create(kind="adjustment", store=store, reason=reason,
                                        by=by.username, at=iso(now()))
        insert_rows(StockMovement, [_movement(store, product.sku, quantity, unit_of(product),
                                              "adjustment", document.number, 1,
                                              document.at)])
        audit(by, "stock.adjust", document.number,
              {"store": store, "sku": product.sku, "quantity": quantity, "reason": reason})
    return document


def parse_lines(text):
    """"SKU-or-barcode quantity" per line -> [(product, quantity)], or every bad line's
    error at once."""
    lines, errors = [], []
    for number, row in enumerate((text or "").splitlines(), 1):
        if not row.strip():
            continue
        parts = row.split()
        try:
            if len(parts) != 2:
                raise InventoryError("write a SKU or barcode, a space and a quantity")
            lines.append((find_product(parts[0]), parse_quantity(parts[1])))
        except InventoryError as exc:
            errors.append(f"line {number}: {exc}")
    if errors:
        raise InventoryError("; ".join(errors))
    if not lines:
        raise InventoryError("items: enter at least one line, e.g. MILK 12")
    return lines


def transfer(by, source, destination, items):
    """Move stock from one store to another in one step (see the module's text)."""
    source = check_store(source, "from")
    destination = check_store(destination, "to")
    if source == destination:
        raise InventoryError("to: a store other than the one it comes from")
    lines = parse_lines(items)
    with database().atomic():
        document = StockDocument.create(kind="transfer", store=source, to_store=destination,
                                        by=by.username, at=iso(now()))
        rows = []
        for line, (product, quantity) in enumerate(lines, 1):
            unit = unit_of(product)
            rows.append(_movement(source, product.sku, -quantity, unit, "transfer",
                                  document.number + "/out", line, document.at))
            rows.append(_movement(destination, product.sku, quantity, unit, "transfer",
                                  document.number + "/in", line, document.at))
        insert_rows(StockMovement, rows)
        audit(by, "stock.transfer", document.number,
              {"from": source, "to": destination,
               "lines": [[product.sku, quantity] for product, quantity in lines]})
    return document


def left_negative(document):
    """The SKUs an adjustment or transfer left negative in its (source) store."""
    skus = [row[0] for row in StockMovement.select(StockMovement.sku)
            .where(StockMovement.reference.startswith(document.number)).tuples()]
    return sorted(sku for sku, quantity in on_hand(document.store, skus).items()
                  if quantity < 0)


# -- what a store holds, what is low, what to reorder ----------------------------------------

def on_order(store, skus=None):
    """sku -> what sent orders still await in ``store``."""
    query = (PurchaseOrderLine
             .select(PurchaseOrderLine.sku,
                     fn.SUM(PurchaseOrderLine.quantity - PurchaseOrderLine.received))
             .join(PurchaseOrder)
             .where((PurchaseOrder.store == store)
                    & PurchaseOrder.state.in_(("sent", "partially_received"))
                    & (PurchaseOrderLine.quantity > PurchaseOrderLine.received))
             .group_by(PurchaseOrderLine.sku))
    if skus is not None:
        query = query.where(PurchaseOrderLine.sku.in_(list(skus)))
    return dict(query.tuples())


def sold(store, skus, days=SALES_DAYS):
    """sku -> net units sold in ``store`` over the last ``days`` days (returns netted)."""
    since = iso(now() - timedelta(days=days))
    query = (StockMovement.select(StockMovement.sku, fn.SUM(StockMovement.quantity))
             .where((StockMovement.store == store) & (StockMovement.at >= since)
                    & StockMovement.kind.in_(("sale", "return"))
                    & StockMovement.sku.in_(list(skus)))
             .group_by(StockMovement.sku))
    return {sku: max(0, -int(quantity)) for sku, quantity in query.tuples()}


def _matching(query):
    """The stock page's search as (SQL of a subquery of SKUs, its parameters), or None."""
    query = (query or "").strip()
    if not query:
        return None
    try:
        scan = classify(query) if query.isdigit() else None
    except BarcodeError:
        scan = None
    sql, params = matching_skus(database(), query)
    if scan is not None and scan.kind == "gtin":
        params["q_code"] = scan.gtin
    return sql, params


def stock_rows(store, query="", flagged=False, limit=500, after="", held=None):
    """The store's SKUs that ever moved or have a reorder point, in SKU order from after
    ``after``, with their flags: negative, low (at or below the reorder point).
    ``query``: only those the products page would find for it (the SKU, a barcode, or
    words of the name). Neither the store's ledger nor the catalog is read whole
    (``hub/stock_checkpoints.py``). ``held``: ``stock_checkpoints.flagged(store)``, if
    known."""
    matching = _matching(query)
    if flagged:
        held = stock_checkpoints.flagged(store) if held is None else held
        points = dict(StockLevel.select(StockLevel.sku, StockLevel.reorder_point)
                      .where(StockLevel.store == store).tuples())
        skus = sorted(sku for sku, quantity in held.items() if sku > after and (
            quantity < 0 or (sku in points and quantity <= points[sku])))
        if matching is not None:
            found = {row[0] for row in stock_checkpoints.run(
                f"SELECT sku FROM ({matching[0]}) AS found", matching[1])}
            skus = [sku for sku in skus if sku in found]
        page = [(sku, held[sku]) for sku in skus[:limit]]
    elif matching is not None:  # the SKUs found lead: far fewer than the store's
        found = sorted({row[0] for row in stock_checkpoints.run(*matching)})
        page = stock_checkpoints.page_of(store, [sku for sku in found if sku > after],
                                         limit)
    else:
        page = stock_checkpoints.page(store, after, limit)
    skus = [sku for sku, _ in page]
    products, levels = {}, {}
    for chunk in range(0, len(skus), 500):
        part = skus[chunk:chunk + 500]
        products.update((product.sku, product) for product in
                        Product.select().where(Product.sku.in_(part)))
        levels.update((level.sku, level) for level in StockLevel.select().where(
            (StockLevel.store == store) & StockLevel.sku.in_(part)))
    waiting = on_order(store, skus)
    rows = []
    for sku, quantity in page:
        product = products.get(sku)
        level = levels.get(sku)
        rows.append({"sku": sku, "name": product.name if product else "",
                     "unit": unit_of(product) if product else "pcs",
                     "on_hand": quantity, "on_order": waiting.get(sku, 0),
                     "reorder_point": level.reorder_point if level else None,
                     "negative": quantity < 0,
                     "low": level is not None and quantity <= level.reorder_point})
    return rows


def alerts(store, held=None):
    """How many SKUs of ``store`` are low (at or below their reorder point) and how many
    negative: the stock page's banner. ``held``: ``stock_checkpoints.flagged(store)``, if
    known."""
    held = stock_checkpoints.flagged(store) if held is None else held
    low = sum(1 for sku, point in StockLevel.select(StockLevel.sku, StockLevel.reorder_point)
              .where(StockLevel.store == store).tuples() if held.get(sku, 0) <= point)
    return {"low": low, "negative": sum(1 for quantity in held.values() if quantity < 0)}


def set_level(by, store, code, reorder_point, safety_stock, supplier_id):
    store = check_store(store)
    product = find_product(code)
    point = parse_quantity(reorder_point, "reorder point", zero=True)
    safety = parse_quantity(safety_stock or "0", "safety stock", zero=True)
    supplier = None
    if supplier_id:
        supplier = Supplier.get_or_none(Supplier.id == whole_number(supplier_id, MAX_ID))
        if supplier is None:
            raise InventoryError("supplier: choose one from the list")
    with database().atomic():
        level = StockLevel.get_or_none((StockLevel.store == store)
                                       & (StockLevel.sku == product.sku))
        if level is None:
            level = StockLevel(store=store, sku=product.sku)
        level.reorder_point, level.safety_stock, level.supplier = point, safety, supplier
        level.save()
        audit(by, "stock.level", f"{store}/{product.sku}",
              {"reorder_point": point, "safety_stock": safety,
               "supplier": supplier.name if supplier else None})
    return level


def reorder(store, days=SALES_DAYS):
    """Each SKU with a reorder point in ``store``: what it holds, awaits and sells, and
    the suggestion: sold a day × lead time + safety stock − on hand − on order (rounded
    up, never below zero). Low ones first."""
    levels = list(StockLevel.select(StockLevel, Supplier).join(Supplier, JOIN.LEFT_OUTER)
                  .where(StockLevel.store == store).order_by(StockLevel.sku))
    skus = [level.sku for level in levels]
    held, waiting, sales = on_hand(store, skus), on_order(store, skus), sold(store, skus, days)
    names = dict(Product.select(Product.sku, Product.name).where(Product.sku.in_(skus))
                 .tuples())
    rows = []
    for level in levels:
        lead = level.supplier.lead_time_days if level.supplier else DEFAULT_LEAD_DAYS
        quantity, expected = held.get(level.sku, 0), waiting.get(level.sku, 0)
        need = -(-sales.get(level.sku, 0) * lead // days) + level.safety_stock
        rows.append({"sku": level.sku, "name": names.get(level.sku, ""), "on_hand": quantity,
                     "on_order": expected, "sold": sales.get(level.sku, 0), "days": days,
                     "lead_days": lead, "reorder_point": level.reorder_point,
                     "safety_stock": level.safety_stock,
                     "supplier": level.supplier.name if level.supplier else "",
                     "supplier_id": level.supplier.id if level.supplier else None,
                     "low": quantity <= level.reorder_point, "negative": quantity < 0,
                     "suggested": max(0, need - quantity - expected)})
    rows.sort(key=lambda row: (not row["low"], row["sku"]))
    return rows


def movements(store, sku, limit=200):
    return (StockMovement.select()
            .where((StockMovement.store == store) & (StockMovement.sku == sku))
            .order_by(StockMovement.at.desc(), StockMovement.id.desc()).limit(limit))


# -- stocktakes ------------------------------------------------------------------------------

def start_stocktake(by, store, category):
    store = check_store(store)
    category = (category or "").strip() or None
    if category is not None and not Product.select().where(Product.category == category) \
            .exists():
        raise InventoryError(f"category: no product is in {category!r}")
    with database().atomic():
        if Stocktake.select().where((Stocktake.store == store)
                                    & (Stocktake.state == "counting")).exists():
            raise InventoryError(f"{store} has a stocktake under way: finish or cancel it "
                                 "first")
        stocktake = Stocktake.create(store=store, category=category, started_by=by.username,
                                     started_at=iso(now()))
        audit(by, "stocktake.start", f"ST-{stocktake.id}",
              {"store": store, "category": category})
    return stocktake


def _fresh(stocktake):
    """The stocktake as it is now, locked until the transaction ends."""
    return locked(Stocktake.select().where(Stocktake.id == stocktake.id)).get()


def _counting(stocktake):
    if stocktake.state != "counting":
        raise InventoryError(f"this stocktake is {stocktake.state}: it takes no more changes")


def count(by, stocktake, code, quantity):
    """Record (or correct) what was counted of one SKU, at this moment."""
    product = find_product(code)
    counted = parse_quantity(quantity, "counted", zero=True)
    with database().atomic():
        stocktake = _fresh(stocktake)
        _counting(stocktake)
        if stocktake.category is not None and product.category != stocktake.category:
            raise InventoryError(f"{product.sku} is not in {stocktake.category}, the "
                                 "category being counted")
        row = StocktakeCount.get_or_none((StocktakeCount.stocktake == stocktake)
                                         & (StocktakeCount.sku == product.sku))
        if row is None:
            row = StocktakeCount(stocktake=stocktake, sku=product.sku, unit=unit_of(product))
        row.counted, row.counted_by, row.counted_at = counted, by.username, iso(now())
        row.save()
    return row


def variances(stocktake):
    """Each count with the ledger's view: at the start, moved until it was counted,
    expected, variance (counted − expected); as written, once approved."""
    stocktake = Stocktake.get_by_id(stocktake.id)  # as it is now: approved or not
    counts = StocktakeCount
    moves = StockMovement
    if stocktake.state == "approved":
        query = counts.select()
    else:
        before = fn.COALESCE(fn.SUM(Case(None, [(moves.at <= stocktake.started_at,
                                                 moves.quantity)], 0)), 0)
        during = fn.COALESCE(fn.SUM(Case(None, [(moves.at > stocktake.started_at,
                                                 moves.quantity)], 0)), 0)
        query = (counts.select(counts, before.alias("before"), during.alias("during"))
                 .join(moves, JOIN.LEFT_OUTER,
                       on=((moves.store == stocktake.store) & (moves.sku == counts.sku)
                           & (moves.at <= counts.counted_at)))
                 .group_by(counts))
    rows = []
    names = dict(Product.select(Product.sku, Product.name).join(
        counts, on=(counts.sku == Product.sku)).where(counts.stocktake == stocktake).tuples())
    for row in query.where(counts.stocktake == stocktake).order_by(counts.sku).objects():
        if stocktake.state == "approved":
            row.before = row.during = None
        else:
            row.before, row.during = int(row.before), int(row.during)
            row.expected = row.before + row.during
            row.variance = row.counted - row.expected
        row.name = names.get(row.sku, "")
        rows.append(row)
    return rows


def uncounted(stocktake, limit=200):
    """(sku, on hand) of the SKUs in the stocktake's scope that hold stock but were not
    counted: they keep their stock unless approved with ``zero_uncounted``."""
    held = on_hand(stocktake.store)
    counted = {row.sku for row in StocktakeCount.select(StocktakeCount.sku)
               .where(StocktakeCount.stocktake == stocktake)}
    skus = sorted(sku for sku, quantity in held.items() if quantity and sku not in counted)
    if stocktake.category is not None:
        in_scope = set()
        for chunk in range(0, len(skus), 500):
            in_scope.update(row[0] for row in Product.select(Product.sku).where(
                Product.sku.in_(skus[chunk:chunk + 500])
                & (Product.category == stocktake.category)).tuples())
        skus = [sku for sku in skus if sku in in_scope]
    return [(sku, held[sku]) for sku in skus[:limit]]


def approve(by, stocktake, zero_uncounted=False):
    """Write each count's variance as a ``stocktake`` movement, and close the stocktake.
    ``zero_uncounted``: what holds stock in its scope but was not counted is counted as
    none now (for a count of everything on the shelves)."""
    with database().atomic():
        stocktake = _fresh(stocktake)
        _counting(stocktake)
        missing = [sku for sku, _ in uncounted(stocktake, limit=None)] if zero_uncounted \
            else []
        if missing:
            at = iso(now())
            units = dict(StockMovement.select(StockMovement.sku, StockMovement.unit)
                         .where((StockMovement.store == stocktake.store)
                                & StockMovement.sku.in_(missing)).distinct().tuples())
            insert_rows(StocktakeCount, [
                {"stocktake": stocktake.id, "sku": sku, "unit": units[sku], "counted": 0,
                 "counted_by": by.username, "counted_at": at} for sku in missing])
        rows = variances(stocktake)
        if not rows:
            raise InventoryError("nothing was counted: count at least one item, or cancel")
        at = iso(now())
        reference = f"ST-{stocktake.id:05d}"
        insert_rows(StockMovement, [
            _movement(stocktake.store, row.sku, row.variance, row.unit, "stocktake",
                      reference, line, at)
            for line, row in enumerate(rows, 1) if row.variance])
        for row in rows:
            StocktakeCount.update(expected=row.expected, variance=row.variance) \
                .where(StocktakeCount.id == row.id).execute()
        stocktake.state, stocktake.closed_by, stocktake.closed_at = \
            "approved", by.username, at
        stocktake.save()
        audit(by, "stocktake.approve", reference,
              {"store": stocktake.store, "counted": len(rows), "zeroed": missing,
               "variances": {row.sku: row.variance for row in rows if row.variance}})
    return stocktake


def cancel_stocktake(by, stocktake):
    with database().atomic():
        stocktake = _fresh(stocktake)
        _counting(stocktake)
        stocktake.state, stocktake.closed_by, stocktake.closed_at = \
            "cancelled", by.username, iso(now())
        stocktake.save()
        audit(by, "stocktake.cancel", f"ST-{stocktake.id:05d}", {"store": stocktake.store})
    return stocktake
