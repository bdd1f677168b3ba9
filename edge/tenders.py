"""Vouchers and store credit: paid only with the hub's approval, asked while the customer
waits.

As with a card (``edge/payments.py``): a "pending" TenderAttempt is committed first, which
freezes the sale, then the hub is asked through the till's MQTT link without the till's
lock, then its answer is recorded. Anything but an answer (no link, the hub offline, no
reply within ``[hub] tender_timeout_s``, the till killed mid-request) takes nothing: the
till refuses at once when it cannot reach the hub, and releases any request that went
unanswered through its outbox (durable, acked by the hub), so a debit the hub made late is
undone there. Voiding the sale releases what it took the same way. Refunds and the excess
after a void go back to the voucher or store credit as negative payments, which the hub
credits when it ingests the sale: that works offline.
"""
from shared.vouchers import normalize_code

from .errors import TillError, is_count

KINDS = ("voucher", "store_credit", "points")
NAMES = {"voucher": "voucher", "store_credit": "store credit", "points": "loyalty points"}
MAX_CODE = 64


def label(tender, account):
    """How a receipt names the voucher or store credit paid with, or paid back to."""
    if tender == "voucher":
        return f"Voucher ••{account[-4:]}"
    return "Store credit" if tender == "store_credit" else "Loyalty points"


class TenderDesk:
    def __init__(self, till):
        self.till = till
        self.journal = till.journal

    def money(self, minor):
        return self.till.payments.money(minor)

    def start(self, sale, tender, remaining, amount, code):
        """The pending request; call with the till's lock, then ``run`` it without."""
        link = self.till.link
        if link is None or not link.reachable():
            raise TillError(f"{NAMES[tender]} needs the hub, which this till cannot reach: "
                            "take another tender", 503, hub_offline=True)
        if tender == "voucher":
            if not isinstance(code, str) or not 1 <= len(code.strip()) <= MAX_CODE:
                raise TillError("type or scan the voucher's code", 422)
            account = normalize_code(code)
        else:
            if not sale.customer:
                raise TillError(f"{NAMES[tender]} need the customer: scan their loyalty "
                                "card first", 409, customer_needed=True)
            account = sale.customer
        amount = remaining if amount is None else amount
        if not is_count(amount, remaining):
            raise TillError(f"{NAMES[tender]} amount must be between 1 and the amount "
                            "remaining", 422)
        return self.journal.start_tender_attempt(sale, tender, account, amount)

    def run(self, staff, attempt):
        """Ask the hub without the till's lock; record its answer with it."""
        link = self.till.link
        timeout = float(link.settings.get("tender_timeout_s", 5))
        answer = link.ask({"request": attempt.request, "tender": attempt.tender,
                           "account": attempt.account, "amount": attempt.amount,
                           "sale": attempt.sale_id}, timeout)
        name = NAMES[attempt.tender]
        with self.till.changing():
            sale = self.journal.get(attempt.sale_id)
            detail = {"tender": attempt.tender, "amount": attempt.amount,
                      "request": attempt.request}
            if answer is None:
                self.journal.release_tender(attempt, "timeout")
                self.till.outbox_written()
                self.journal.audit("tender.timeout", staff.id, None, sale.uuid, detail)
                raise TillError(f"the hub did not answer in time: nothing is taken off the "
                                f"{name}. Take another tender", 504, hub_timeout=True)
            if not answer["ok"]:
                self.journal.set_attempt_state(attempt, "refused", answer["error"] or "")
                self.journal.audit("tender.refused", staff.id, None, sale.uuid,
                                   {**detail, "reason": answer["reason"]})
                raise TillError(f"{name} refused: {answer['error']}", 402,
                                tender_status=answer["reason"], balance=answer["balance"])
            self._record(sale, attempt, answer["balance"])
            return self.till.view(self.journal.get(sale.uuid))

    def _record(self, sale, attempt, balance):
        """The payment (the request id its reference), and the sale completed when it
        covers what remains; one commit."""
        left = "" if balance is None else f" ({self.money(balance)} left)"
        payment = {"type": attempt.tender, "amount": attempt.amount,
                   "reference": attempt.request, "account": attempt.account,
                   "label": label(attempt.tender, attempt.account) + left}
        with self.journal.writing():
            self.journal.set_attempt_state(attempt, "approved")
            if attempt.amount < self.till.view(sale)["remaining"]:
                self.journal.add_payment(sale, **{"kind": payment.pop("type"), **payment})
                return
            self.till.complete(sale, [payment])
        self.till.after_completion(sale, cash=False)

    def take_off(self, staff, reference, pin):
        """Take a voucher or store credit payment off the open sale (supervisor): the
        payment goes, and the hub gives the amount back (a release, through the outbox)."""
        with self.till.changing():
            sale = self.till.open_sale()
            self.till.payments.refuse_unresolved(sale)
            payment = next((payment for payment in self.journal.payments(sale)
                            if payment.type in KINDS and payment.amount > 0
                            and payment.reference == reference), None)
            if payment is None:
                raise TillError("no voucher or store credit payment of this sale has that "
                                "reference", 404)
            detail = {"tender": payment.type, "amount": payment.amount, "request": reference}
            self.till.approve(pin, "void_after_tender", staff, sale.uuid, detail)
            self.journal.take_off(payment, "taken off")
            self.journal.audit("tender.taken_off", staff.id, None, sale.uuid, detail)
            self.till.outbox_written()
            return self.till.view(sale)

    def refuse_pending(self, sale):
        attempt = self.journal.tender_attempt(sale)
        if attempt is not None:
            raise TillError(f"the {NAMES[attempt.tender]} of {self.money(attempt.amount)} is "
                            "being checked with the hub: wait for it", 409, tender_pending=True)


def held(payments):
    """What the sale's vouchers and store credit still hold, per request (the reference):
    [(a payment naming it, net amount)], latest first."""
    nets = {}
    for payment in payments:
        if payment.type in KINDS:
            entry = nets.setdefault(payment.reference, [payment, 0])
            entry[1] += payment.amount
    return [(payment, net) for payment, net in reversed(nets.values()) if net > 0]
