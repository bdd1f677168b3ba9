"""Each store's stock as a ledger of movements: what is on hand is the sum of them.

A till's sale takes its units out of the store's stock and a refund puts them back, in the
transaction that applies the sale at the hub (``hub/ingest.py``), so a sale delivered five
times moves stock once. Receipts, transfers, adjustments and stocktakes are movements of
their own kinds. Quantities are whole units of the product's stock unit: pieces, or grams
for a weighed product.
"""
from . import stock_checkpoints
from .models import StockMovement, insert_rows


def sale_movements(store, body):
    """The movements of a completed sale or refund (a message body of ``sale.completed``):
    one per line not voided; units leave with a sale and come back with a refund."""
    sign, kind = (1, "return") if body["kind"] == "refund" else (-1, "sale")
    movements = []
    for line in body["lines"]:
        if line["voided"]:
            continue
        weighed = line["weight_g"] is not None
        quantity = line["weight_g"] if weighed else line["qty"]
        if not quantity:
            continue
        movements.append({"store": store, "sku": line["sku"], "quantity": sign * quantity,
                          "unit": "g" if weighed else "pcs", "kind": kind,
                          "reference": body["uuid"], "line": line["position"],
                          "at": body["completed_at"]})
    return movements


def record_sale(store, body):
    """Write a sale's movements (inside the caller's transaction)."""
    return record_sales([(store, body)])


def record_sales(sales):
    """Write the movements of sales, [(store, body)], in one statement (inside the
    caller's transaction)."""
    return insert_rows(StockMovement, [movement for store, body in sales
                                       for movement in sale_movements(store, body)])


def on_hand(store, skus=None):
    """sku -> quantity on hand in ``store`` (only SKUs that ever moved): its checkpoint and
    the movements after it (``hub/stock_checkpoints.py``), which is the sum of them all."""
    return stock_checkpoints.on_hand(store, skus)
