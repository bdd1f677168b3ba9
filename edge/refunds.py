"""What a return gives back: the arithmetic of refunds, apart from the journal and devices.

A line's refund comes from what the customer was charged for it on the original sale (its
net, plus its taxes when they were added on top), shared out per unit so that returning
every unit, in any number of returns, gives back exactly that charge and never more.
"""
from shared.pricing import largest_remainder


def share(amount, units, of):
    """The part of ``amount`` for ``units`` out of ``of``, rounded half up."""
    return (2 * amount * units + of) // (2 * of)


def line_charges(result, tax_classes, line_classes, inclusive):
    """Per original line position: (charged, {rate id: tax}), from its priced result.

    With tax rounded per line, each line carries its taxes. Rounded per total, each rate's
    total is split over the lines whose class has that rate, by their nets, as the engine
    splits a basket discount.
    """
    taxes = {entry["line"]: {tax["id"]: tax["amount"] for tax in entry["taxes"]}
             for entry in result["lines"]}
    if not any(taxes.values()) and result["taxes"]:
        for rate in result["taxes"]:
            carriers = [entry for entry in result["lines"]
                        if any(r["id"] == rate["id"]
                               for r in tax_classes.get(line_classes[entry["line"]], []))]
            parts = largest_remainder(rate["amount"], [entry["net"] for entry in carriers]) \
                if carriers and any(entry["net"] for entry in carriers) else []
            for entry, part in zip(carriers, parts, strict=False):
                taxes[entry["line"]][rate["id"]] = part
    return {entry["line"]: (entry["net"] + (0 if inclusive else sum(taxes[entry["line"]]
                                                                    .values())),
                            taxes[entry["line"]])
            for entry in result["lines"]}


def units_of(line):
    """A line's returnable units: its quantity, or 1 for a weighed line (returned whole)."""
    return line.qty if line.qty is not None else 1


def refund_for(charged, taxes, before, units, of):
    """(amount, {rate: tax}) for ``units`` more of ``of``, after ``before`` came back."""
    amount = share(charged, before + units, of) - share(charged, before, of)
    return amount, {rate: share(tax, before + units, of) - share(tax, before, of)
                    for rate, tax in taxes.items()}


def refund_result(lines, tax_names):
    """A refund's result in the shape of a priced sale, for the journal, the reports and
    the hub: amounts are what goes back to the customer."""
    taxes = {}
    out = []
    for line in lines:
        if line.voided:
            continue
        for rate, amount in (line.refund_taxes or {}).items():
            taxes[rate] = taxes.get(rate, 0) + amount
        out.append({"line": line.position, "sku": line.sku, "qty": line.qty,
                    "weight_g": line.weight_g, "unit_price": line.unit_price,
                    "base": line.refund_amount, "discounts": [], "net": line.refund_amount,
                    "taxes": []})
    total = sum(entry["net"] for entry in out)
    return {"lines": out, "subtotal": total, "item_discount": 0, "basket_discount": 0,
            "basket_promotion": None, "applied": [],
            "taxes": [{"id": rate, "name": tax_names.get(rate, rate), "amount": amount}
                      for rate, amount in sorted(taxes.items())],
            "tax_total": sum(taxes.values()), "total": total, "cash_total": total,
            "optimal": True}
