"""The sale journal: every write the till makes, each in one transaction.

Until the hub acknowledges a sale, this is the record of it. A completed sale, its last
payment and its outbox message are committed together; sequence numbers come from a
counter row updated in the transaction that uses them, so none is ever handed out twice.
"""
import contextlib
import uuid

from shared.times import iso, now

from .basket import sale_ref
from .cash_report import close_report
from .models import (
    Audit,
    CardAttempt,
    CashMovement,
    CashSession,
    Counter,
    Outbox,
    Payment,
    Sale,
    SaleCoupon,
    SaleLine,
    TenderAttempt,
)


class Journal:
    def __init__(self, database, till_id):
        self.db = database
        self.till_id = till_id
        self.writes = 0  # committed write transactions: what a cached view is valid for

    @contextlib.contextmanager
    def writing(self):
        """One write transaction; ``writes`` counts it once committed (or rolled back)."""
        try:
            with self.db.atomic():
                yield
        finally:
            self.writes += 1

    def next_number(self, name):
        """The next value of a sequence; call inside the transaction that uses it."""
        Counter.insert(name=name, value=0).on_conflict_ignore().execute()
        Counter.update(value=Counter.value + 1).where(Counter.name == name).execute()
        return Counter.get_by_id(name).value

    def bump_number(self, name):
        """The next value of a sequence, in a transaction of its own."""
        with self.db.atomic():
            return self.next_number(name)

    # -- the outbox (the publisher's side) ------------------------------------------------

    def unsent(self, limit, skip=(), sent_before=None):
        """The oldest outbox messages the hub has not confirmed, and the broker has not
        acknowledged, or acknowledged before ``sent_before`` (so they go again)."""
        due = Outbox.sent_at.is_null()
        if sent_before is not None:
            due |= Outbox.sent_at < sent_before
        query = Outbox.select().where(Outbox.confirmed_at.is_null() & due)
        if skip:
            query = query.where(Outbox.id.not_in(list(skip)))
        return list(query.order_by(Outbox.id).limit(limit))

    def mark_sent(self, row_id):
        with self.db.atomic():
            Outbox.update(sent_at=now()).where(Outbox.id == row_id).execute()

    def confirm(self, row_ids):
        """The hub's ack: these rows are applied there, and never sent again."""
        with self.db.atomic():
            Outbox.update(confirmed_at=now()).where(
                Outbox.id.in_(list(row_ids)) & Outbox.confirmed_at.is_null()).execute()

    def outbox_backlog(self):
        """Messages the hub has not confirmed yet."""
        return Outbox.select().where(Outbox.confirmed_at.is_null()).count()

    def peek_number(self, name):
        """The last value a sequence handed out (0 if none yet)."""
        counter = Counter.get_or_none(Counter.name == name)
        return counter.value if counter else 0

    def audit(self, action, staff, approver, sale, detail):
        with self.writing():
            Audit.create(action=action, staff=staff, approver=approver, sale=sale,
                         detail=detail)

    def recover(self):
        """After a restart: open sales are restored as they were; an empty one is voided."""
        with self.writing():
            for sale in Sale.select().where(Sale.state == "open"):
                if not self.live_lines(sale) and not self.payments(sale):
                    sale.state = "voided"
                    sale.save()
                    Audit.create(action="sale.void_empty_on_restart", sale=sale.uuid,
                                 staff=sale.cashier)
                else:
                    Audit.create(action="sale.restored", sale=sale.uuid, staff=sale.cashier)
            for attempt in CardAttempt.select().where(CardAttempt.state == "pending"):
                # Killed while the terminal had it: whether the card was charged is unknown.
                attempt.state = "unknown"
                attempt.save()
                Audit.create(action="card.unknown_on_restart", sale=attempt.sale_id,
                             detail={"kind": attempt.kind, "amount": attempt.amount,
                                     "reference": attempt.reference})
            for attempt in TenderAttempt.select().where(TenderAttempt.state == "pending"):
                # Killed while the hub had it: what the hub may have taken goes back.
                self._release(attempt, "restart")
                Audit.create(action="tender.released_on_restart", sale=attempt.sale_id,
                             detail={"tender": attempt.tender, "amount": attempt.amount,
                                     "request": attempt.request})

    # -- reading --------------------------------------------------------------------------

    def get(self, uuid):
        return Sale.get_by_id(uuid)

    def open_sale(self):
        return Sale.select().where(Sale.state == "open").order_by(Sale.seq).first()

    def parked_sales(self):
        return list(Sale.select().where(Sale.state == "parked").order_by(Sale.seq))

    def parked_sale(self, uuid):
        return Sale.get_or_none((Sale.uuid == uuid) & (Sale.state == "parked"))

    def last_completed(self):
        return (Sale.select().where(Sale.state == "completed")
                .order_by(Sale.completed_at.desc(), Sale.seq.desc()).first())

    def receipts_pending(self):
        return Sale.select().where(Sale.receipt_pending).exists()

    def pending_receipts(self):
        """Completed sales whose receipt has not printed yet, oldest first."""
        return list(Sale.select().where(Sale.receipt_pending)
                    .order_by(Sale.completed_at, Sale.seq))

    def lines(self, sale):
        """The sale's lines, read-only (named tuples: re-pricing reads them on every scan)."""
        return list(SaleLine.select().where(SaleLine.sale == sale).order_by(SaleLine.position)
                    .namedtuples())

    def live_lines(self, sale):
        return [line for line in self.lines(sale) if not line.voided]

    def last_live_line(self, sale):
        return (SaleLine.select().where((SaleLine.sale == sale) & ~SaleLine.voided)
                .order_by(SaleLine.position.desc()).first())

    def line(self, sale, position):
        return SaleLine.get_or_none((SaleLine.sale == sale) & (SaleLine.position == position))

    def payments(self, sale):
        return list(Payment.select().where(Payment.sale == sale).order_by(Payment.id))

    # -- writing --------------------------------------------------------------------------

    def start_sale(self, cashier, kind="sale", original=None, customer=None):
        with self.writing():
            return Sale.create(seq=self.next_number("sale"), till=self.till_id,
                               cashier=cashier, kind=kind, original=original,
                               customer=customer)

    def sale_by_seq(self, seq):
        return Sale.get_or_none(Sale.seq == seq)

    def refunds_of(self, original, exclude=None):
        """Completed refunds of a sale (and the given open one, if any, excluded)."""
        query = Sale.select().where((Sale.original == original.uuid)
                                    & (Sale.state == "completed"))
        if exclude is not None:
            query = query.where(Sale.uuid != exclude.uuid)
        return list(query)

    def add_refund_line(self, sale, fields):
        with self.writing():
            last = (SaleLine.select(SaleLine.position).where(SaleLine.sale == sale)
                    .order_by(SaleLine.position.desc()).first())
            return SaleLine.create(sale=sale, position=(last.position + 1) if last else 1,
                                   **fields)

    def add_line(self, sale, product, qty, weight_g, barcode, label_price=None):
        with self.writing():
            last = (SaleLine.select(SaleLine.position).where(SaleLine.sale == sale)
                    .order_by(SaleLine.position.desc()).first())
            return SaleLine.create(
                sale=sale, position=(last.position + 1) if last else 1, sku=product.sku,
                name=product.name, barcode=barcode, qty=qty, weight_g=weight_g,
                unit_price=product.unit_price if label_price is None else label_price,
                member_price=product.member_price if label_price is None else None,
                tax_class=product.tax_class, tags=list(product.tags))

    def update_line(self, line, **fields):
        with self.writing():
            for name, value in fields.items():
                setattr(line, name, value)
            line.save()

    def set_customer(self, sale, customer_id):
        with self.writing():
            sale.customer = customer_id
            sale.save()

    def set_coupons(self, sale, codes):
        """The sale's coupons, and their index rows, in one commit."""
        with self.writing():
            sale.coupons = list(codes)
            sale.save()
            SaleCoupon.delete().where(SaleCoupon.sale == sale).execute()
            if codes:
                SaleCoupon.insert_many([{"sale": sale, "code": code}
                                        for code in codes]).execute()

    def sale_with_coupon(self, code, states):
        """A sale (not a refund) in one of ``states`` that holds ``code``, or None."""
        return (Sale.select().join(SaleCoupon)
                .where((SaleCoupon.code == code) & (Sale.kind == "sale")
                       & Sale.state.in_(states))
                .order_by(Sale.seq).first())

    def set_manual_discount(self, sale, discount):
        with self.writing():
            sale.manual_discount = discount
            sale.save()

    def set_state(self, sale, state):
        with self.writing():
            sale.state = state
            sale.save()

    def set_receipt_pending(self, sale, pending):
        with self.writing():
            Sale.update(receipt_pending=pending).where(Sale.uuid == sale.uuid).execute()

    def add_payment(self, sale, kind, amount, **fields):
        with self.writing():
            return Payment.create(sale=sale, type=kind, amount=amount, **fields)

    def finish_void(self, sale, staff, payments=(), releases=()):
        """The sale voided; ``payments`` (Payment fields) give back what it had taken, and
        ``releases`` (the vouchers' and store credit's payments) go back through the hub."""
        with self.writing():
            for payment in payments:
                Payment.create(sale=sale, **payment)
            for payment in releases:  # the whole request goes back, whatever it paid
                attempt = TenderAttempt.get(TenderAttempt.request == payment.reference)
                self._release(attempt, "void")
            sale.state = "voided"
            sale.session = self.current_session()
            sale.completed_at = now()
            sale.save()
            Audit.create(action="sale.void", staff=staff, sale=sale.uuid,
                         detail={"ref": sale_ref(sale)})

    def complete(self, sale, result, payments, rounding=0, change=0, catalog=None):
        """The last payments, the completed sale and its message for the hub: one commit.
        ``payments``: dicts of Payment fields (``type``, ``amount``, ...); ``catalog``: the
        version the sale was priced with, so the hub can re-price it the same way."""
        with self.writing():
            for payment in payments:
                Payment.create(sale=sale, **payment)
            sale.state = "completed"
            sale.session = self.current_session()
            sale.completed_at = now()
            sale.result = result
            sale.rounding = rounding
            sale.change = change
            sale.save()
            Outbox.create(kind="sale.completed",
                          payload={**self.sale_message(sale), "catalog": catalog})

    # -- card attempts ------------------------------------------------------------------------

    def card_attempt(self, sale):
        """The sale's card charge or refund still in flight ("pending") or of unknown fate."""
        return (CardAttempt.select().where((CardAttempt.sale == sale)
                                           & CardAttempt.state.in_(("pending", "unknown")))
                .first())

    def start_card_attempt(self, sale, kind, amount, **fields):
        """Committed before the terminal is asked, so a crash mid-call leaves a trace."""
        with self.writing():
            number = CardAttempt.select().where(CardAttempt.sale == sale).count() + 1
            return CardAttempt.create(sale=sale, kind=kind, amount=amount,
                                      reference=f"{sale_ref(sale)}-{number}", **fields)

    def set_attempt_state(self, attempt, state, message=""):
        with self.writing():
            attempt.state = state
            attempt.message = message[:200]
            attempt.save()

    # -- vouchers and store credit ------------------------------------------------------------

    def tender_attempt(self, sale):
        """The sale's voucher or store credit request the hub has not answered yet."""
        return (TenderAttempt.select().where((TenderAttempt.sale == sale)
                                             & (TenderAttempt.state == "pending")).first())

    def start_tender_attempt(self, sale, tender, account, amount):
        """Committed before the hub is asked, so a crash mid-request is released later."""
        with self.writing():
            return TenderAttempt.create(sale=sale, tender=tender, account=account,
                                        amount=amount, request=str(uuid.uuid4()))

    def release_tender(self, attempt, reason):
        """The hub's answer is not wanted (or never came): a release in the outbox."""
        with self.writing():
            self._release(attempt, reason)

    def take_off(self, payment, reason):
        """A voucher or store credit payment taken off the open sale: gone, and released
        through the outbox, in one commit."""
        with self.writing():
            payment.delete_instance()
            self._release(TenderAttempt.get(TenderAttempt.request == payment.reference),
                          reason)

    def _release(self, attempt, reason):
        attempt.state = "released"
        attempt.message = reason
        attempt.save()
        Outbox.create(kind="tender.release", payload={
            "request": attempt.request, "tender": attempt.tender, "account": attempt.account,
            "amount": attempt.amount, "sale": attempt.sale_id, "reason": reason})

    # -- cash sessions ----------------------------------------------------------------------

    def current_session(self):
        return CashSession.get_or_none(CashSession.closed_at.is_null())

    def open_session(self, staff, float_amount):
        with self.writing():
            session = CashSession.create(number=self.next_number("session"), opened_by=staff,
                                         float_amount=float_amount)
            Audit.create(action="session.open", staff=staff,
                         detail={"session": session.number, "float": float_amount})
            return session

    def add_movement(self, session, kind, amount, reason, staff, approver=None):
        with self.writing():
            return CashMovement.create(session=session, kind=kind, amount=amount,
                                       reason=reason, staff=staff, approver=approver)

    def session_activity(self, session):
        """The session's finished sales with their payments, and its cash movements."""
        sales = list(Sale.select().where(Sale.session == session).order_by(Sale.seq))
        return ([(sale, self.payments(sale)) for sale in sales],
                list(CashMovement.select().where(CashMovement.session == session)
                     .order_by(CashMovement.id)))

    def close_session(self, session, report, counted, staff):
        """The Z report, its never-reused number and its message for the hub: one commit."""
        with self.writing():
            closed_at = now()
            final = close_report(report, counted, self.next_number("z"), closed_at, staff)
            session.closed_at = closed_at
            session.closed_by = staff
            session.z_number = final["z_number"]
            session.counted = counted
            session.report = final
            session.save()
            Outbox.create(kind="session.closed", payload={"till": self.till_id, **final})
            Audit.create(action="session.close", staff=staff,
                         detail={"z_number": final["z_number"],
                                 "over_short": final["over_short"]})
            return final

    def z_report(self, number):
        session = CashSession.get_or_none(CashSession.z_number == number)
        return session.report if session else None

    def sale_message(self, sale):
        """What the hub is told of a completed sale (the MQTT schema comes with the link)."""
        return {
            "uuid": sale.uuid, "till": sale.till, "seq": sale.seq, "ref": sale_ref(sale),
            "kind": sale.kind, "cashier": sale.cashier, "customer": sale.customer,
            "coupons": list(sale.coupons or []), "manual_discount": sale.manual_discount,
            "original": sale.original,
            "opened_at": iso(sale.opened_at), "completed_at": iso(sale.completed_at),
            "lines": [{"position": line.position, "sku": line.sku, "qty": line.qty,
                       "weight_g": line.weight_g, "unit_price": line.unit_price,
                       "price_override": line.price_override, "barcode": line.barcode,
                       "voided": line.voided}
                      for line in self.lines(sale)],
            "payments": [{"type": p.type, "amount": p.amount, "reference": p.reference,
                          "auth_code": p.auth_code, "account": p.account}
                         for p in self.payments(sale)],
            "result": sale.result, "rounding": sale.rounding, "change": sale.change,
        }
