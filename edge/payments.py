"""Card calls, and money given back when a void after payment leaves too much paid.

A card terminal can take a minute to answer, so the till asks it without holding its lock:
a "pending" CardAttempt, committed first, freezes the sale meanwhile (every change to it is
refused). A timeout, or a crash mid-call, leaves the attempt "unknown": the customer may
have been charged, so no other card call and no change is allowed on the sale until a
supervisor records what the terminal shows. A card is never charged twice that way.

Money goes back the way it came, cards first (refunded through the terminal, latest card
first) then cash: the excess when a sale is completed with more paid than due, everything
when a sale is voided after payment.
"""
from drivers.payment import PaymentResult
from shared.money import format_money

from .basket import cash_due
from .errors import TillError, is_count
from .tenders import held
from .tenders import label as tender_label

MAX_AMOUNT = 10**12


class PaymentDesk:
    def __init__(self, till):
        self.till = till
        self.journal = till.journal

    def money(self, minor):
        currency = self.till.catalog.currency
        return format_money(minor, currency["exponent"], currency.get("symbol", ""))

    def refuse_unresolved(self, sale):
        """Refuse any change to a sale whose card call is in flight or of unknown fate, or
        whose voucher or store credit the hub is checking."""
        self.till.tenders.refuse_pending(sale)
        attempt = self.journal.card_attempt(sale)
        if attempt is None:
            return
        what = f"card {attempt.kind} of {self.money(attempt.amount)}"
        if attempt.state == "pending":
            raise TillError(f"the {what} is in progress: wait for the card terminal", 409,
                            card_pending=True)
        done = "charged" if attempt.kind == "charge" else "refunded"
        raise TillError(f"the {what} has an unknown outcome: check the card terminal and "
                        f"record whether the card was {done} (supervisor)", 409,
                        card_check=attempt.kind)

    @staticmethod
    def attempt_view(attempt):
        """What screens show of an unresolved card call."""
        if attempt is None:
            return None
        return {"kind": attempt.kind, "amount": attempt.amount, "state": attempt.state,
                "reference": attempt.reference, "message": attempt.message}

    # -- charging ---------------------------------------------------------------------------

    def start_charge(self, sale, remaining, amount):
        """The pending charge; call with the till's lock, then ``run`` it without."""
        amount = remaining if amount is None else amount
        if not is_count(amount, MAX_AMOUNT) or amount > remaining:
            raise TillError("card amount must be between 1 and the amount remaining", 422)
        return self.journal.start_card_attempt(sale, "charge", amount)

    def run(self, staff, attempt):
        """Ask the terminal without the till's lock; record its answer with it."""
        result = self._ask(attempt)
        with self.till.changing():
            sale = self.journal.get(attempt.sale_id)
            if result.status == "approved":
                label = " ".join(part for part in (result.card_brand, f"••{result.last4}"
                                                   if result.last4 else "") if part) or "Card"
                self._record(sale, attempt, "approved", result.message, result.auth_code,
                             label)
                return self.till.view(self.journal.get(sale.uuid))
            state = "unknown" if result.status == "timeout" else result.status
            self.journal.set_attempt_state(attempt, state, result.message)
            charge = attempt.kind == "charge"
            self.journal.audit(f"card{'' if charge else '_refund'}.{result.status}", staff.id,
                               None, sale.uuid, {"amount": attempt.amount,
                                                 "reference": attempt.reference,
                                                 "message": result.message})
            what = "card" if charge else "card refund"
            if state == "unknown":
                done = "charged" if charge else "refunded"
                raise TillError(f"{what} timeout: {result.message}. The card may have been "
                                f"{done}: check the card terminal, then record what it shows "
                                "(supervisor)", 402, card_status="timeout",
                                card_check=attempt.kind)
            raise TillError(f"{what} {result.status}: {result.message}", 402,
                            card_status=result.status)

    def _ask(self, attempt):
        terminal = self.till.devices.payment
        currency = self.till.catalog.currency["code"]
        try:
            if attempt.kind == "charge":
                return terminal.charge(attempt.amount, currency, attempt.reference)
            return terminal.refund(attempt.amount, currency, attempt.reference,
                                   attempt.original_reference)
        except Exception as exc:  # whatever failed mid-call, the card's fate is unknown
            return PaymentResult("timeout", attempt.amount, attempt.reference,
                                 message=f"the card terminal failed: {exc}")

    def _record(self, sale, attempt, state, message, auth_code, label):
        """A charge or refund that went through: its payment, and the sale completed when
        a charge covers what remains; one commit."""
        with self.journal.writing():
            self.journal.set_attempt_state(attempt, state, message)
            if attempt.kind == "refund":
                self.journal.add_payment(sale, "card", -attempt.amount,
                                         reference=attempt.original_reference,
                                         auth_code=auth_code, label=attempt.label)
                return
            payment = {"reference": attempt.reference, "auth_code": auth_code, "label": label}
            if attempt.amount < self.till.view(sale)["remaining"]:
                self.journal.add_payment(sale, "card", attempt.amount, **payment)
                return
            self.till.complete(sale, [{"type": "card", "amount": attempt.amount, **payment}])
        self.till.after_completion(sale, cash=False)

    def check(self, staff, went_through, pin):
        """A supervisor records what the terminal shows for a call of unknown outcome."""
        with self.till.changing():
            sale = self.journal.open_sale()
            attempt = self.journal.card_attempt(sale) if sale else None
            if attempt is None or attempt.state != "unknown":
                raise TillError("no card payment of the open sale waits for a check", 409)
            if not isinstance(went_through, bool):
                raise TillError("say whether the card terminal shows it went through: "
                                "went_through true or false", 422)
            self.till.approve(pin, "card_check", staff, sale.uuid,
                              {"kind": attempt.kind, "amount": attempt.amount,
                               "reference": attempt.reference, "went_through": went_through})
            if went_through:
                self._record(sale, attempt, "went_through", "checked on the card terminal", None,
                             "Card (checked)")
            else:
                self.journal.set_attempt_state(attempt, "did_not_go_through",
                                               "checked on the card terminal")
            return self.till.view(self.journal.get(sale.uuid))

    # -- giving money back --------------------------------------------------------------------

    def settle(self, staff):
        """Complete a sale its payments cover (after a void): the excess goes back."""
        return self._give_back(staff, void=False)

    def void(self, staff, pin):
        """Void a sale after payment (supervisor): everything paid goes back."""
        return self._give_back(staff, void=True, pin=pin)

    def _give_back(self, staff, void, pin=None):
        """One card refund at a time, each without the lock; then the cash and the end of
        the sale in one commit. A refused refund leaves the sale open, what went back
        recorded, so trying again carries on."""
        approved = not void
        while True:
            with self.till.changing():
                sale = self._paid_sale(void)
                if not approved:
                    self.till.approve(pin, "void_after_tender", staff, sale.uuid,
                                      {"paid": self.till.view(sale)["paid"]})
                    approved = True
                view = self.till.view(sale)
                excess = view["paid"] - (0 if void else view["total"])
                attempt = self._next_card_refund(sale, excess)
                if attempt is None:
                    return self._finish(staff, sale, excess, void)
            self.run(staff, attempt)

    def _paid_sale(self, void):
        sale = self.journal.open_sale()
        if sale is None:
            raise TillError("no sale in progress", 409)
        if sale.kind == "refund":
            raise TillError("a return is paid back with Refund", 409)
        self.refuse_unresolved(sale)
        if not self.journal.payments(sale):
            raise TillError("nothing was paid: take a payment" if not void
                            else "nothing was paid: void the sale", 409)
        if void:
            return sale
        view = self.till.view(sale)
        if not any(not line["voided"] for line in view["lines"]):
            raise TillError("the sale is empty: void it to give back what was paid", 409)
        if view["remaining"] > 0:
            raise TillError(f"{self.money(view['remaining'])} is still due: take a payment", 409)
        return sale

    def _next_card_refund(self, sale, excess):
        """The pending refund of the latest card with money left on it, or None."""
        if excess <= 0:
            return None
        cards = {}  # reference -> [label, net amount]
        for payment in self.journal.payments(sale):
            if payment.type == "card":
                entry = cards.setdefault(payment.reference, [payment.label or "Card", 0])
                entry[1] += payment.amount
        for reference, (label, net) in reversed(cards.items()):
            if net > 0:
                return self.journal.start_card_attempt(
                    sale, "refund", min(net, excess), original_reference=reference,
                    label=f"Refund to {label}")
        return None

    def _finish(self, staff, sale, excess, void):
        """What is left goes back to vouchers and store credit (a void releases them
        through the hub; a completed sale's excess is credited when the hub ingests it),
        then in cash (cash-rounded, never more than was paid in cash); the sale ends in
        the same commit."""
        payments = self.journal.payments(sale)
        cash_paid = sum(payment.amount for payment in payments if payment.type == "cash")
        back, releases = [], []
        for payment, net in held(payments):
            part = net if void else min(net, max(excess, 0))
            if part > 0:
                back.append({"type": payment.type, "amount": -part,
                             "reference": payment.reference, "account": payment.account,
                             "label": f"Back to {tender_label(payment.type, payment.account)}"})
                releases.append(payment)
                excess -= part
        increment = self.till.catalog.pricing.get("cash_increment", 1)
        cash = cash_paid if void else min(cash_due(max(excess, 0), increment), cash_paid)
        if cash > 0 and self.till.drawer_open:
            raise TillError("close the cash drawer first", 409, drawer_open=True)
        if cash > 0:
            back.append({"type": "cash", "amount": -cash, "label": "Cash back"})
        if void:
            self.journal.finish_void(sale, staff.id, back, releases)
            if releases:
                self.till.outbox_written()
            if cash > 0:
                self.till.open_drawer(sale)
            return None
        self.till.complete(sale, back, rounding=excess - max(cash, 0))
        self.till.after_completion(sale, cash=cash > 0)
        return self.till.view(self.journal.get(sale.uuid))
