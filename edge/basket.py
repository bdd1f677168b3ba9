"""A sale as the pricing engine sees it, and the priced basket as screens and receipts show it.

Every change to a sale re-prices the whole basket (best deal, taxes, totals); this module
turns journal rows into the engine's request and the engine's result into one view.
"""
from shared import sale_pricing
from shared.barcodes import receipt_code
from shared.coupons import display, split
from shared.times import iso


def sale_ref(sale):
    """The sale number people read: till and sequence."""
    return f"{sale.till}-{sale.seq:06d}"


def cash_due(amount, increment):
    """``amount`` rounded half up to the cash increment, as the contract's cash_total."""
    steps, rest = divmod(amount, increment)
    return (steps + (2 * rest >= increment)) * increment


def engine_basket(sale, lines, member):
    """The engine's basket for the sale's live (not voided) lines."""
    return sale_pricing.engine_basket(
        [sale_pricing.basket_line(line.position, line.sku, line.tax_class, line.unit_price,
                                  line.tags, qty=line.qty, weight_g=line.weight_g,
                                  price_override=line.price_override,
                                  member_price=line.member_price)
         for line in lines if not line.voided], member, sale.coupons)


def priced_view(catalog, sale, lines, payments, customer=None):
    """Price the sale with the catalog's engine: the document the UI, the customer display,
    the receipt and the hub message are all made from."""
    member = bool(customer and customer.member)
    result = catalog.engine_for(sale.manual_discount).price(engine_basket(sale, lines, member))
    return sale_view(catalog, sale, result, lines, payments, customer)


def sale_view(catalog, sale, result, lines, payments, customer=None):
    """A sale and its priced result (from the engine, or a refund's) as one view."""
    promo_name = catalog.promotion_names
    by_position = {entry["line"]: entry for entry in result["lines"]}
    view_lines = []
    for line in lines:
        priced = by_position.get(line.position)
        view_lines.append({
            "position": line.position, "sku": line.sku, "name": line.name,
            "qty": line.qty, "weight_g": line.weight_g,
            "unit_price": priced["unit_price"] if priced else line.unit_price,
            "price_override": line.price_override, "voided": line.voided,
            "base": priced["base"] if priced else 0,
            "discounts": [{**d, "name": promo_name.get(d["promotion"], d["promotion"])}
                          for d in priced["discounts"]] if priced else [],
            "net": priced["net"] if priced else 0,
            "original_position": line.original_line,  # a refund line: the line it returns
        })
    savings = [{"promotion": a["promotion"], "name": promo_name.get(a["promotion"],
                                                                    a["promotion"]),
                "times": a["times"], "amount": a["discount"]} for a in result["applied"]]
    # A refund's payments are negative: what went back counts towards its total.
    paid = sum(payment.amount for payment in payments) * (-1 if sale.kind == "refund" else 1)
    return {
        "uuid": sale.uuid, "ref": sale_ref(sale), "seq": sale.seq, "till": sale.till,
        "kind": sale.kind, "state": sale.state, "cashier": sale.cashier,
        "cashier_name": catalog.staff_name(sale.cashier),
        "opened_at": iso(sale.opened_at), "completed_at": iso(sale.completed_at),
        "barcode": receipt_code(sale.till, sale.seq),
        "customer": {"id": customer.id, "name": customer.name, "card": customer.card,
                     "member": customer.member} if customer else None,
        "coupons": list(sale.coupons or []),
        "coupon_status": coupon_status(catalog, sale.coupons or [], result),
        "lines": view_lines,
        "savings": savings,
        "total_savings": result["item_discount"] + result["basket_discount"],
        "subtotal": result["subtotal"],
        "basket_discount": result["basket_discount"],
        "taxes": [{**t, "name": catalog.tax_names.get(t["id"], t["id"])}
                  for t in result["taxes"]],
        "tax_total": result["tax_total"],
        "tax_mode": catalog.pricing["tax_mode"],
        "total": result["total"],
        "cash_total": result["cash_total"],
        "payments": [{"type": p.type, "amount": p.amount, "tendered": p.tendered,
                      "label": p.label or p.type.replace("_", " ").capitalize(),
                      "reference": p.reference} for p in payments],
        "paid": paid,
        "remaining": result["total"] - paid,
        "cash_due": cash_due(result["total"] - paid, catalog.pricing.get("cash_increment", 1)),
        "rounding": sale.rounding,
        "change": sale.change,
        "currency": catalog.currency,
        "suggestion": suggestion(catalog, sale, lines),
        "pricing": result,
    }


def coupon_status(catalog, codes, result):
    """Each coupon as printed, with its promotions and what they take off now: 0 while
    their condition is not met (the customer may still want to reach it)."""
    applied = {entry["promotion"]: entry["discount"] for entry in result["applied"]}
    status = []
    for code in codes:
        parts = split(code)
        promotions = catalog.coupon_promotions.get(parts[0] if parts else code, [])
        status.append({"code": code, "display": display(code),
                       "promotions": [catalog.promotion_names[p] for p in promotions],
                       "discount": sum(applied.get(p, 0) for p in promotions)})
    return status


def suggestion(catalog, sale, lines):
    """A product often bought with the last one scanned, not in the sale yet, for the
    cashier to offer ("frequently bought together", from the hub); None when there is
    none. Sold by the unit only: a weighed one needs the scale."""
    live = [line for line in lines if not line.voided]
    if sale.kind == "refund" or sale.state != "open" or not live:
        return None
    have = {line.sku for line in live}
    for sku in catalog.recommendations.get(live[-1].sku, ()):
        product = catalog.products.get(sku)
        if sku not in have and product is not None and not product.by_weight:
            return {"sku": sku, "name": product.name, "unit_price": product.unit_price}
    return None
