"""X and Z reports: what a cash session took, by tender and tax rate, and the cash that
should be in the drawer. One function for both: a Z report is an X report, counted and
closed."""
from shared.times import iso


def session_report(session, sales, movements, tax_names):
    """``sales``: the session's completed sales (their priced results and payments)."""
    report = {
        "session": session.number, "opened_at": iso(session.opened_at),
        "opened_by": session.opened_by, "float": session.float_amount,
        "sales": {"count": 0, "subtotal": 0, "discounts": 0, "total": 0},
        "refunds": {"count": 0, "total": 0},
        "voided": 0, "taxes": {}, "tenders": {}, "rounding": 0,
        "paid_in": 0, "paid_out": 0, "no_sales": 0,
    }
    for sale, payments in sales:
        if sale.state == "voided":
            report["voided"] += 1
            continue
        result = sale.result
        sign = -1 if sale.kind == "refund" else 1
        if sale.kind == "refund":
            report["refunds"]["count"] += 1
            report["refunds"]["total"] += result["total"]
        else:
            sales_part = report["sales"]
            sales_part["count"] += 1
            sales_part["subtotal"] += result["subtotal"]
            sales_part["discounts"] += result["item_discount"] + result["basket_discount"]
            sales_part["total"] += result["total"]
        for tax in result["taxes"]:
            report["taxes"][tax["id"]] = report["taxes"].get(tax["id"], 0) + sign * tax["amount"]
        for payment in payments:
            report["tenders"][payment.type] = (report["tenders"].get(payment.type, 0)
                                               + payment.amount)
        report["rounding"] += sign * sale.rounding
    for movement in movements:
        if movement.kind == "no_sale":
            report["no_sales"] += 1
        else:
            report[movement.kind] += movement.amount
    report["taxes"] = [{"id": rate, "name": tax_names.get(rate, rate), "amount": amount}
                       for rate, amount in sorted(report["taxes"].items())]
    report["tenders"] = [{"type": kind, "amount": amount}
                         for kind, amount in sorted(report["tenders"].items())]
    cash = sum(t["amount"] for t in report["tenders"] if t["type"] == "cash")
    report["expected_cash"] = (session.float_amount + cash + report["paid_in"]
                               - report["paid_out"])
    return report


def close_report(report, counted, z_number, closed_at, closed_by):
    """The Z report: the X report with the count, over/short and its Z number."""
    counted_total = sum(int(denomination) * count for denomination, count in counted.items())
    return {**report, "z_number": z_number, "closed_at": iso(closed_at),
            "closed_by": closed_by, "counted": counted, "counted_total": counted_total,
            "over_short": counted_total - report["expected_cash"]}
