"""The till's cash session: opened with a counted float, paid in and out, read with an X
report at any time, closed with a Z report of the counted cash. Z numbers are never reused.
"""
from shared.whole_numbers import whole_number

from .cash_report import session_report
from .errors import TillError, is_count

MAX_CASH = 10**10
MAX_REASON = 200


def _reason(reason):
    if not isinstance(reason, str) or not reason.strip() or len(reason) > MAX_REASON:
        raise TillError(f"give a reason (1 to {MAX_REASON} characters)", 422)
    return reason.strip()


class CashDesk:
    def __init__(self, till):
        self.till = till
        self.journal = till.journal

    def counted_total(self, counted):
        """The total of a count by denomination; a clear refusal for a bad count."""
        if not isinstance(counted, dict):
            raise TillError("count the cash: {denomination: number of notes or coins}", 422)
        known = set(self.till.catalog.denominations)
        total = 0
        for denomination, count in counted.items():
            value = whole_number(denomination, 10**9, least=1)
            if value is None or (known and value not in known):
                raise TillError(f"{denomination!r} is not a denomination of this store", 422)
            if not is_count(count, 100_000, minimum=0):
                raise TillError(f"count of {denomination} must be a whole number >= 0", 422)
            total += value * count
        return total

    def next_number(self):
        """The number the next session will get (sessions are numbered like sales)."""
        return self.journal.peek_number("session") + 1

    def state(self):
        session = self.journal.current_session()
        if session is None:
            return None
        return {"number": session.number, "opened_by": session.opened_by,
                "opened_at": self.report()["opened_at"], "float": session.float_amount}

    def open(self, staff, float_amount=None, counted=None):
        with self.till.changing():
            if self.journal.current_session() is not None:
                raise TillError("the till is already open", 409)
            if counted is not None:
                float_amount = self.counted_total(counted)
            if not is_count(float_amount, MAX_CASH, minimum=0):
                raise TillError("the float must be a whole number of minor units >= 0", 422)
            self.journal.open_session(staff.id, float_amount)
            return self.state()

    def _session(self):
        session = self.journal.current_session()
        if session is None:
            raise TillError("the till is not open: count the float first", 409,
                            session_closed=True)
        return session

    def move(self, staff, kind, amount, reason):
        """Paid in or paid out: recorded, and the drawer opens for the cash."""
        with self.till.changing():
            session = self._session()
            if not is_count(amount, MAX_CASH):
                raise TillError("amount must be a positive whole number of minor units", 422)
            if kind == "paid_out" and amount > self.report()["expected_cash"]:
                raise TillError("paid out is more than the cash in the drawer", 409)
            self.journal.add_movement(session, kind, amount, _reason(reason), staff.id)
            self.till.open_drawer()
            return self.report()

    def no_sale(self, staff, reason, pin):
        with self.till.changing():
            session = self._session()
            reason = _reason(reason)
            approver = self.till.approve(pin, "no_sale", staff, None, {"reason": reason})
            self.journal.add_movement(session, "no_sale", 0, reason, staff.id, approver.id)
            self.till.open_drawer()
            return self.report()

    def report(self):
        """The X report of the open session."""
        session = self._session()
        sales, movements = self.journal.session_activity(session)
        return session_report(session, sales, movements, self.till.catalog.tax_names)

    def close(self, staff, counted):
        """The Z report: no sale may be open; the count gives over/short."""
        with self.till.changing():
            session = self._session()
            if self.journal.open_sale() is not None:
                raise TillError("finish, park or void the sale in progress first", 409)
            self.counted_total(counted)
            report = self.journal.close_session(session, self.report(),
                                                {str(k): v for k, v in counted.items()},
                                                staff.id)
            self.till.outbox_written()
            return report

    def z_report(self, number):
        report = self.journal.z_report(number)
        if report is None:
            raise TillError(f"no Z report {number}", 404)
        return report
