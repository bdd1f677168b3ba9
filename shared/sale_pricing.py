"""A sale as the pricing engine sees it, built the same way on the till and at the hub.

The till prices every change to a sale with it; the hub rebuilds the same request from the
sale message and the catalog version the till ran, re-prices it with the same engine and
so verifies what the till charged (``hub/verify.py``).
"""
from shared.coupons import engine_coupons

# The promotion id of a supervisor's discount on a whole sale.
MANUAL_DISCOUNT = "manual-discount"


def basket_line(position, sku, tax_class, unit_price, tags, qty=None, weight_g=None,
                price_override=None, member_price=None):
    """One line of the engine's basket: an override replaces the price and any member
    price; a weighed line has a weight instead of a quantity."""
    entry = {"line": position, "sku": sku, "tax_class": tax_class,
             "unit_price": price_override if price_override is not None else unit_price,
             "tags": list(tags)}
    if price_override is None and member_price is not None:
        entry["member_price"] = member_price
    if weight_g is not None:
        entry["weight_g"] = weight_g
    else:
        entry["qty"] = qty
    return entry


def engine_basket(lines, member, coupons):
    """The engine's basket: ``lines`` from ``basket_line``, for the sale's live lines;
    ``coupons`` as presented (a campaign code also switches on its campaign's promotion)."""
    return {"customer": {"member": bool(member)}, "coupons": engine_coupons(coupons),
            "lines": lines}


def discount_config(config, manual_discount):
    """The pricing set-up with a sale's manual discount added as a basket promotion (the
    customer gets the better of it and the store's own basket offer)."""
    promotion = {"id": MANUAL_DISCOUNT, "type": "threshold", "min_subtotal": 0,
                 **manual_discount}
    return {**config, "promotions": [*config.get("promotions", []), promotion]}
