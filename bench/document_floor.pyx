# cython: language_level=3
"""The least work any compiled engine does per basket, under the contract's dict in, dict
out interface: read every field of every line, and build a result document of the
required shape. No pricing at all. Its time bounds the achievable compiled/interpreted
speedup: the interpreted engine's time divided by this floor.

Compiled by bench/pricing.py with pyximport; not part of the product.
"""


def read_fields(dict basket):
    """Fetch and type-check every field of every line, as the engine's validator must."""
    cdef long long seen = 0
    cdef dict line
    for line in basket["lines"]:
        values = (line.get("line"), line.get("sku"), line.get("unit_price"),
                  line.get("tax_class"), line.get("qty"), line.get("weight_g"),
                  line.get("member_price"))
        for value in values:
            if type(value) is int or type(value) is str:
                seen += 1
        tags = line.get("tags")
        if tags is not None:
            for tag in tags:
                seen += type(tag) is str
    return seen


def build_document(tuple flat):
    """A result document from already computed values (see bench/pricing.py flatten)."""
    cdef list lines, applied, taxes, out = []
    cdef tuple t
    lines, applied, taxes, totals = flat
    for t in lines:
        out.append({"line": t[0], "sku": t[1], "qty": t[2], "weight_g": t[3],
                    "unit_price": t[4], "base": t[5],
                    "discounts": [{"promotion": p, "amount": a} for p, a in t[6]],
                    "net": t[7], "taxes": [{"id": r, "amount": a} for r, a in t[8]]})
    return {"lines": out, "subtotal": totals[0], "item_discount": totals[1],
            "basket_discount": totals[2], "basket_promotion": totals[3],
            "applied": [{"promotion": p, "times": n, "discount": d} for p, n, d in applied],
            "taxes": [{"id": r, "amount": a} for r, a in taxes],
            "tax_total": totals[4], "total": totals[5], "cash_total": totals[6],
            "optimal": totals[7]}
