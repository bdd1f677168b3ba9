"""Returns: a refund sale against a receipt (or, with a supervisor, without one).

With a receipt, lines and amounts come from the original sale, a return gives back only
what was charged, never more units than were sold, over any number of returns, and the
money goes back the way it came: to the original card(s) first, then cash. Without a
receipt, products are refunded at today's price, in cash. Every refund needs a supervisor.
"""
import re

from shared.barcodes import BarcodeError, classify

from .basket import cash_due, sale_ref, sale_view
from .errors import TillError, is_count
from .refunds import line_charges, refund_for, refund_result, units_of
from .tenders import KINDS as HUB_TENDERS
from .tenders import label

# Payments given back to what they name (a card's charge, a voucher, a store credit), not
# to their type.
BY_REFERENCE = ("card", *HUB_TENDERS)

_REF = re.compile(r"([A-Z0-9]{1,8})-(\d{1,12})")


class ReturnsDesk:
    def __init__(self, till):
        self.till = till
        self.journal = till.journal

    # -- starting a return ------------------------------------------------------------------

    def start(self, staff, code=None, no_receipt=False, pin=None):
        with self.till.changing():
            if self.journal.open_sale() is not None:
                raise TillError("finish, park or void the sale in progress first", 409)
            self.till.require_session()
            if no_receipt:
                self.till.approve(pin, "refund_without_receipt", staff)
                return self.till.view(self.journal.start_sale(staff.id, kind="refund"))
            original = self._original(code)
            if not any(item["returnable"] for item in self.returnable(original, None)):
                raise TillError(f"everything on {sale_ref(original)} has been returned", 409)
            return self.till.view(self.journal.start_sale(
                staff.id, kind="refund", original=original.uuid, customer=original.customer))

    def _original(self, code):
        """The completed sale a receipt code (``TS-T01-42``) or sale number names."""
        text = code.strip() if isinstance(code, str) else ""
        match = _REF.fullmatch(text)
        if match:
            till_id, seq = match.group(1), int(match.group(2))
        else:
            try:
                scan = classify(text)
            except BarcodeError as exc:
                raise TillError(f"not a receipt: {exc}", 422) from None
            if scan.kind != "receipt":
                raise TillError("not a receipt barcode: scan the code on the receipt", 422)
            till_id, seq = scan.till, scan.seq
        if till_id != self.till.till_id:
            raise TillError(f"that sale was made on till {till_id}: returns of another till's "
                            "sales need the hub", 409)
        original = self.journal.sale_by_seq(seq)
        if original is None or original.state != "completed" or original.kind != "sale":
            raise TillError(f"no completed sale {till_id}-{seq:06d} on this till", 404)
        return original

    # -- what can come back ---------------------------------------------------------------

    def _charges(self, original):
        catalog = self.till.catalog
        lines = self.journal.lines(original)
        classes = {line.position: line.tax_class for line in lines}
        charges = line_charges(original.result, catalog.pricing["tax_classes"], classes,
                               catalog.pricing["tax_mode"] == "inclusive")
        return lines, charges

    def _returned(self, original, refund):
        """Units already returned per original line: by completed refunds, and by the
        refund in progress (``refund``) separately."""
        done, pending = {}, {}
        sales = self.journal.refunds_of(original, exclude=refund)
        for target, sales_ in ((done, sales), (pending, [refund] if refund else [])):
            for sale in sales_:
                for line in self.journal.lines(sale):
                    if not line.voided and line.original_line is not None:
                        target[line.original_line] = (target.get(line.original_line, 0)
                                                      + units_of(line))
        return done, pending

    def returnable(self, original, refund):
        lines, charges = self._charges(original)
        done, pending = self._returned(original, refund)
        out = []
        for line in lines:
            if line.voided or line.position not in charges:
                continue
            returned = done.get(line.position, 0) + pending.get(line.position, 0)
            out.append({"original_position": line.position, "sku": line.sku,
                        "name": line.name, "qty": line.qty, "weight_g": line.weight_g,
                        "returned": returned, "returnable": units_of(line) - returned,
                        "amount": charges[line.position][0]})
        return out

    # -- choosing lines -------------------------------------------------------------------

    def _refund(self):
        sale = self.journal.open_sale()
        if sale is None or sale.kind != "refund":
            raise TillError("no return in progress", 409)
        return sale

    def add(self, staff, original_position, qty=None):
        """``qty`` more units (default one) of an original line come back; a weighed line
        is one unit: it comes back whole."""
        with self.till.changing():
            refund = self._refund()
            if refund.original is None:
                raise TillError("a return without receipt takes products by scan", 409)
            self._add(refund, original_position, qty)
            return self.till.view(refund)

    def set_qty(self, refund, line, qty):
        """A refund line's quantity changed: its amount follows from the original."""
        if line.original_line is None:
            raise TillError("void the line and scan the product again", 409)
        self._add(refund, line.original_line, qty, replace=True)

    def _add(self, refund, position, qty, replace=False):
        self.till.refuse_after_tender(refund, "change the return")
        original = self.journal.get(refund.original)
        lines, charges = self._charges(original)
        line = next((line for line in lines if line.position == position
                     and not line.voided and position in charges), None)
        if line is None:
            raise TillError(f"the sale has no line {position}", 404)
        of = units_of(line)
        if qty is None:  # one unit; a weighed line comes back whole
            qty = 1
        if not is_count(qty, of):
            raise TillError(f"quantity must be a whole number from 1 to {of}", 422)
        done, pending = self._returned(original, refund)
        before = done.get(position, 0)
        wanted = qty if replace else pending.get(position, 0) + qty
        if before + wanted > of:
            raise TillError(f"only {of - before - (0 if replace else pending.get(position, 0))}"
                            f" of {line.name} can still come back", 409)
        charged, taxes = charges[position]
        amount, tax_parts = refund_for(charged, taxes, before, wanted, of)
        current = next((item for item in self.journal.lines(refund)
                        if item.original_line == position and not item.voided), None)
        if current is not None:
            self.journal.update_line(self.journal.line(refund, current.position),
                                     qty=wanted if line.qty is not None else None,
                                     refund_amount=amount, refund_taxes=tax_parts)
        else:
            self.journal.add_refund_line(refund, {
                "sku": line.sku, "name": line.name, "qty": wanted if line.qty else None,
                "weight_g": line.weight_g, "unit_price": line.unit_price,
                "tax_class": line.tax_class, "original_line": position,
                "refund_amount": amount, "refund_taxes": tax_parts})

    def scan_product(self, staff, refund, product, barcode):
        """A product scanned during a return: one unit of a matching line of the
        original, or (without receipt) the product at today's price."""
        if refund.original is None:
            self.till.refuse_after_tender(refund, "change the return")
            amount, taxes = self._todays_price(product)
            self.journal.add_refund_line(refund, {
                "sku": product.sku, "name": product.name, "qty": 1, "barcode": barcode,
                "unit_price": product.unit_price, "tax_class": product.tax_class,
                "refund_amount": amount, "refund_taxes": taxes})
            return self.till.view(refund)
        original = self.journal.get(refund.original)
        for item in self.returnable(original, refund):
            if item["sku"] == product.sku and item["returnable"] > 0 and item["qty"]:
                self._add(refund, item["original_position"], 1)
                return self.till.view(refund)
        raise TillError(f"{product.name} is not on that receipt, or has all come back", 409)

    def _todays_price(self, product):
        """What one unit costs today, taxes included when added on top."""
        catalog = self.till.catalog
        result = catalog.engine.price({"customer": None, "lines": [
            {"line": 1, "sku": product.sku, "unit_price": product.unit_price, "qty": 1,
             "tax_class": product.tax_class, "tags": list(product.tags)}]})
        return result["total"], {tax["id"]: tax["amount"] for tax in result["taxes"]}

    # -- the view and the refund ------------------------------------------------------------

    def view(self, refund, customer):
        lines = self.journal.lines(refund)
        payments = self.journal.payments(refund)
        result = refund_result(lines, self.till.catalog.tax_names)
        view = sale_view(self.till.catalog, refund, result, lines, payments, customer)
        original = self.journal.get(refund.original) if refund.original else None
        view["original"] = sale_ref(original) if original else None
        view["returnable"] = self.returnable(original, refund) if original else []
        view["refund_to"] = self._plan(original, refund, view["remaining"])
        return view

    def _refundable(self, original, refund):
        """What each original payment can still take back: [(payment, amount)]."""
        if original is None:
            return []
        refunded = {}
        paid = self.journal.payments(original)
        # Given back: by refunds, and by the sale itself (the excess after a void).
        back = [payment for sale in self.journal.refunds_of(original, exclude=refund) + [refund]
                for payment in self.journal.payments(sale)]
        for payment in back + [payment for payment in paid if payment.amount < 0]:
            key = payment.reference if payment.type in BY_REFERENCE else payment.type
            refunded[key] = refunded.get(key, 0) - payment.amount
        out = []
        for payment in (payment for payment in paid if payment.amount > 0):
            key = payment.reference if payment.type in BY_REFERENCE else payment.type
            left = payment.amount - refunded.get(key, 0)
            refunded[key] = max(0, refunded.get(key, 0) - payment.amount)
            out.append((payment, max(0, left)))
        return out

    def _plan(self, original, refund, amount):
        """How ``amount`` goes back: original cards first, then the vouchers and store
        credit it was paid with (credited by the hub when it ingests the refund, so
        offline too), then cash (cash-rounded, and never more cash than the original took
        in cash, when there was an original)."""
        plan = []
        refundable = self._refundable(original, refund)
        for types in (("card",), HUB_TENDERS):
            for payment, left in refundable:
                if payment.type in types and amount > 0 and left > 0:
                    part = min(amount, left)
                    name = (payment.label or "Card") if payment.type == "card" \
                        else label(payment.type, payment.account)
                    plan.append({"type": payment.type, "label": name, "amount": part,
                                 "reference": payment.reference})
                    if payment.type in HUB_TENDERS:
                        plan[-1]["account"] = payment.account
                    amount -= part
        if amount > 0:
            cash = cash_due(amount, self.till.catalog.pricing.get("cash_increment", 1))
            if original is not None:
                cash = min(cash, sum(left for payment, left in refundable
                                     if payment.type == "cash") or amount)
            plan.append({"type": "cash", "label": "Cash", "amount": cash, "reference": None})
        return plan

    def refund(self, staff, pin):
        """Pay the return back (supervisor approval) and complete it. Each card refund is a
        card attempt asked without the till's lock (``edge/payments.py``): one that times out
        is checked before anything else, so a card is never refunded twice."""
        approved = False
        while True:
            with self.till.changing():
                refund = self._refund()
                self.till.payments.refuse_unresolved(refund)
                view = self.till.view(refund)
                if not any(not line["voided"] for line in view["lines"]):
                    raise TillError("nothing to refund: choose what comes back", 409)
                if view["refund_to"] and view["refund_to"][-1]["type"] == "cash" \
                        and self.till.drawer_open:
                    raise TillError("close the cash drawer first", 409, drawer_open=True)
                if not approved:
                    self.till.approve(pin, "refund", staff, refund.uuid, {"total": view["total"]})
                    approved = True
                card = next((part for part in view["refund_to"] if part["type"] == "card"), None)
                if card is None:
                    return self._complete(refund, view)
                attempt = self.journal.start_card_attempt(
                    refund, "refund", card["amount"], original_reference=card["reference"],
                    label=card["label"])
            self.till.payments.run(staff, attempt)

    def _complete(self, refund, view):
        """The voucher, store credit and cash parts, and the completed refund in one
        commit."""
        cash = sum(part["amount"] for part in view["refund_to"] if part["type"] == "cash")
        credits = [{"type": part["type"], "amount": -part["amount"], "label": part["label"],
                    "reference": part["reference"], "account": part["account"]}
                   for part in view["refund_to"] if part["type"] in HUB_TENDERS]
        rounding = cash - (view["remaining"] + sum(part["amount"] for part in credits)) \
            if cash else 0
        self.journal.complete(refund, view["pricing"],
                              credits + ([{"type": "cash", "amount": -cash}] if cash else []),
                              rounding=rounding)
        self.till.after_completion(refund, cash=bool(cash))
        return self.till.view(self.journal.get(refund.uuid))
