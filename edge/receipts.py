"""The receipt document: a priced sale as the printer driver lays it out."""

def receipt_document(catalog, view, reprint=False):
    store = catalog.store
    return {
        "kind": view["kind"],
        "reprint": reprint,
        "store": {key: store.get(key) for key in ("name", "address", "phone", "tax_id",
                                                  "footer")},
        "currency": catalog.currency,
        "sale_ref": view["ref"],
        "barcode": view["barcode"],
        "till": view["till"],
        "timestamp": view["completed_at"] or view["opened_at"],
        "cashier": view["cashier_name"],
        "customer": view["customer"],
        "coupons": [coupon["display"] for coupon in view["coupon_status"]],
        "lines": [{key: line[key] for key in ("name", "qty", "weight_g", "unit_price", "base",
                                              "discounts", "net")}
                  for line in view["lines"] if not line["voided"]],
        "savings": view["savings"],
        "total_savings": view["total_savings"],
        "subtotal": view["subtotal"],
        "basket_discount": view["basket_discount"],
        "taxes": view["taxes"],
        "tax_total": view["tax_total"],
        "tax_mode": view["tax_mode"],
        "total": view["total"],
        "cash_total": view["cash_total"],
        # Refunds pay back (negative payments); the receipt shows them as refunds. A sale's
        # own negative payments (the excess given back after a void) print as negative.
        "tenders": [{"type": p["type"], "label": p["label"],
                     "amount": _sign(view, p["tendered"] if p["tendered"] is not None
                                     else p["amount"])}
                    for p in view["payments"]],
        "change": view["change"],
    }


def _sign(view, amount):
    return abs(amount) if view["kind"] == "refund" else amount
