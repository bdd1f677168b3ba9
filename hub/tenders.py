"""Gift vouchers and store credit: ledgers the tills take money off while the hub is online.

Each account (a voucher by its code, a customer's store credit by the customer's id) keeps
its balance in its row, and every change is a ``TenderEntry`` with the balance after it,
so the balance is always the sum of the entries. Money is integers in minor units.

- **Debits** happen only when the hub approves a till's request (``redeem``), in one
  transaction: the request's row first (its UUID is the key, so the same request twice
  gets the same answer and debits once), then one conditional UPDATE (``balance >=
  amount``, and active) that never overdraws, however many tills and hub workers redeem
  the same voucher at once, on SQLite or PostgreSQL (whose row lock makes the second
  UPDATE re-check the condition on the first one's result).
- **Releases** (``release``) come through the till's outbox: an approved request is
  taken back once; a request the hub has not seen yet leaves a tombstone, so if it comes
  later it is refused.
- **Credits** of a refund (or of the excess given back after a void) are negative
  voucher or store credit payments in a sale; the ingest applies them with the sale
  (``record_sale``), once, so they work while the hub is offline for the till.
"""
import datetime
import functools
import logging

from peewee import OperationalError

from shared.money import format_money
from shared.times import iso, now
from shared.vouchers import new_code, normalize_code

from . import loyalty_program
from .accounts import audit
from .loyalty import survivor_of
from .models import (
    CustomerStats,
    LoyaltyEntry,
    StoreCredit,
    TenderEntry,
    TenderRequest,
    Voucher,
    insert_rows,
)

log = logging.getLogger(__name__)
TENDERS = ("voucher", "store_credit", "points")
MAX_AMOUNT = 10**10
MAX_NOTE = 200


class TenderError(ValueError):
    """A voucher or store credit change that cannot be made; the message says why."""


def _amount(value, what="amount", allow_negative=False):
    if type(value) is not int or abs(value) > MAX_AMOUNT or value == 0 or (
            value < 0 and not allow_negative):
        raise TenderError(f"{what}: a {'non-zero' if allow_negative else 'positive'} whole "
                          "number of minor units")
    return value


def _entry(tender, account, kind, amount, balance, reference, **fields):
    insert_rows(TenderEntry, [dict(tender=tender, account=account, kind=kind, amount=amount,
                                   balance=balance, reference=reference, **fields)])


def _balance(tender, account):
    if tender == "points":  # in money: the points times what a point pays
        points = CustomerStats.select(CustomerStats.points).where(
            CustomerStats.customer == account).scalar()
        return None if points is None else points * loyalty_program.current().redeem_value
    if tender == "voucher":
        row = Voucher.get_or_none(Voucher.code == account)
    else:
        row = StoreCredit.get_or_none(StoreCredit.customer == account)
    return None if row is None else row.balance


def _change(tender, account, amount, kind, reference, **fields):
    """Add ``amount`` (signed) to the account, never below zero, and write its entry;
    the balance after, or None when the account is missing or it would overdraw."""
    if tender == "points":
        return _change_points(account, amount, kind, reference, fields.get("store", ""))
    if tender == "voucher":
        model, key = Voucher, Voucher.code == account
    else:
        model, key = StoreCredit, StoreCredit.customer == account
        if amount > 0:
            StoreCredit.insert(customer=account, balance=0).on_conflict_ignore().execute()
    updated = model.update(balance=model.balance + amount).where(
        key & (model.balance + amount >= 0)).execute()
    if not updated:
        return None
    balance = _balance(tender, account)
    _entry(tender, account, kind, amount, balance, reference, **fields)
    return balance


def _change_points(customer, amount, kind, reference, store):
    """Points spent (``amount`` < 0) or given back, as the loyalty ledger's entries (so
    expiry counts them as used) and the customer's points; the balance in money after."""
    value = loyalty_program.current().redeem_value
    if not value or amount % value:
        return None
    points = amount // value
    updated = CustomerStats.update(points=CustomerStats.points + points).where(
        (CustomerStats.customer == customer)
        & (CustomerStats.points + points >= 0)).execute()
    if not updated:
        return None
    LoyaltyEntry.create(customer=customer, sale=f"{kind}:{reference}", store=store,
                        points=points, at=iso(now()))
    return _balance("points", customer)


# -- the tills' requests -------------------------------------------------------------------

def reply(request, ok, amount, balance=None, reason=None, error=None):
    """A ``tender.reply`` body."""
    return {"request": request, "ok": ok, "amount": amount, "balance": balance,
            "reason": reason, "error": error}


def _refusal(tender, account, amount, today):
    """Why a request cannot be met, as (reason, error, balance), or None if it can."""
    if tender == "voucher":
        voucher = Voucher.get_or_none(Voucher.code == account)
        if voucher is None:
            return "unknown", "no voucher with that code", None
        if voucher.status != "active":
            return "void", "that voucher has been voided", None
        if voucher.expires and voucher.expires < today:
            return "expired", f"that voucher expired on {voucher.expires}", None
        balance = voucher.balance
    elif tender == "points":
        value = loyalty_program.current().redeem_value
        if not value:
            return "unknown", "points cannot be spent at the till in this programme", None
        if amount % value:
            return "invalid", f"points pay in steps of {format_money(value)}", None
        balance = _balance(tender, account) or 0
        if not balance:
            return "insufficient", "the customer has no points to spend", 0
    else:
        balance = _balance(tender, account)
        if not balance:
            return "insufficient", "the customer has no store credit", 0
    if balance < amount:
        return ("insufficient", f"not enough on the {tender.replace('_', ' ')}: "
                f"{format_money(balance)} left", balance)
    return None


def redeem(database, store, till, body, today=None):
    """Answer a ``tender.request`` (store and till from its topic, which the broker's ACL
    ties to the till's login); the reply body. Once per request id."""
    today = today or datetime.date.today().isoformat()
    for attempt in range(5):
        try:
            with database.atomic():
                return _redeem(store, till, body, today)
        except OperationalError:  # e.g. a PostgreSQL deadlock: the transaction is redone
            if attempt == 4:
                raise
            log.warning("tender request %s: database conflict, trying again", body["request"])
    raise AssertionError("unreachable")


def _redeem(store, till, body, today):
    request, tender, account, amount = (body["request"], body["tender"], body["account"],
                                        body["amount"])
    if tender == "voucher":
        account = normalize_code(account)
    else:  # a customer merged into another (hub/customers.py): the survivor's credit
        account = survivor_of(account)
    fresh = insert_rows(TenderRequest, [dict(
        request=request, store=store, till=till, tender=tender, account=account,
        amount=amount, sale=body["sale"], state="pending")], skip_conflicts=True)
    if not fresh:
        row = TenderRequest.get_by_id(request)
        if (row.store, row.till) != (store, till):
            return reply(request, False, amount, reason="invalid",
                         error="that request id belongs to another till")
        if row.state == "tombstone":
            return reply(request, False, amount, reason="released",
                         error="the till released this request before it arrived")
        return row.reply  # the same answer again; debited once
    refused = _refusal(tender, account, amount, today)
    balance = None
    if refused is None:
        balance = _change(tender, account, -amount, "redeem", request, store=store,
                          till=till, note=body["sale"][:MAX_NOTE])
        if balance is None:  # another till took it meanwhile (re-read after its commit)
            refused = _refusal(tender, account, amount, today) or (
                "insufficient", "not enough left", _balance(tender, account))
    if refused is None:
        answer = reply(request, True, amount, balance)
    else:
        reason, error, balance = refused
        answer = reply(request, False, amount, balance, reason, error)
    TenderRequest.update(state="approved" if answer["ok"] else "refused", reply=answer,
                         account=account).where(TenderRequest.request == request).execute()
    return answer


def release(store, till, body):
    """A ``tender.release`` from a till's outbox (inside the ingest's transaction): the
    redemption taken back once, or a tombstone for a request not seen yet. The outcome."""
    request = body["request"]
    account = normalize_code(body["account"]) if body["tender"] == "voucher" \
        else body["account"]
    tombstone = reply(request, False, body["amount"], reason="released",
                      error="the till released this request before it arrived")
    if insert_rows(TenderRequest, [dict(
            request=request, store=store, till=till, tender=body["tender"], account=account,
            amount=body["amount"], sale=body["sale"], state="tombstone", reply=tombstone)],
            skip_conflicts=True):
        return "applied"
    # Only one release of an approved request ever moves it on: one statement says so.
    taken_back = TenderRequest.update(state="released").where(
        (TenderRequest.request == request) & (TenderRequest.state == "approved")
        & (TenderRequest.store == store) & (TenderRequest.till == till)).execute()
    if not taken_back:
        return "duplicate"
    row = TenderRequest.get_by_id(request)
    # Store credit goes back to whoever holds it now: a merge since may have moved it.
    account = row.account if row.tender == "voucher" else survivor_of(row.account)
    _change(row.tender, account, row.amount, "release", request, store=store, till=till,
            note=body["reason"][:MAX_NOTE])
    return "applied"


def record_sale(store, body):
    """Credit what a sale gives back to vouchers and store credit (a refund's, or the
    excess after a void): its negative payments of those tenders, inside the caller's
    transaction, so once per sale."""
    for number, payment in enumerate(body["payments"]):
        tender, amount = payment.get("type"), payment.get("amount")
        account = payment.get("account")
        if tender not in TENDERS or not isinstance(amount, int) or amount >= 0:
            continue
        if not isinstance(account, str) or not account:
            log.warning("sale %s gives %d back to a %s without naming it", body["uuid"],
                        -amount, tender)
            continue
        if tender == "voucher":
            account = normalize_code(account)
        else:
            account = survivor_of(account)
        if _change(tender, account, -amount, "refund", f"{body['uuid']}/{number}",
                   store=store, till=body["till"], note=body.get("ref", "")) is None:
            log.warning("sale %s gives %d back to voucher %s, which the hub does not know",
                        body["uuid"], -amount, account)


def unapproved(store, body):
    """What a sale's voucher and store credit payments lack: each must be a request the
    hub approved for this till, of that tender and amount, and not released since."""
    problems = []
    for number, payment in enumerate(body["payments"], 1):
        tender, amount = payment.get("type"), payment.get("amount")
        if tender not in TENDERS or not isinstance(amount, int) or amount <= 0:
            continue
        request = TenderRequest.get_or_none(TenderRequest.request
                                            == str(payment.get("reference") or ""))
        if request is None or request.state != "approved" or (
                request.store, request.till, request.tender, request.amount) != (
                store, body["till"], tender, amount):
            problems.append(f"payment {number}: {tender} {amount} was not approved by the "
                            "hub for this till" + (f" (request {request.state})"
                                                    if request else ""))
    return problems


# -- the admin app's changes --------------------------------------------------------------

def _atomic(change):
    """The change, its ledger entry and its audit entry: one transaction."""
    @functools.wraps(change)
    def atomic(*args, **kwargs):
        with TenderEntry._meta.database.atomic():
            return change(*args, **kwargs)
    return atomic


@_atomic
def issue_voucher(user, amount, expires=None, note=""):
    """A new voucher of ``amount`` minor units (valid through ``expires``, an ISO date)."""
    _amount(amount)
    if expires is not None:
        try:
            expires = datetime.date.fromisoformat(str(expires)).isoformat()
        except ValueError:
            raise TenderError("expires: a date, YYYY-MM-DD") from None
    note = (note or "").strip()[:MAX_NOTE]
    by = getattr(user, "username", user)
    voucher = Voucher.create(code=new_code(), issued=amount, balance=amount, expires=expires,
                             note=note, issued_by=by)
    _entry("voucher", voucher.code, "issue", amount, amount, f"issue:{voucher.code}",
           note=note, by=by)
    audit(user, "voucher.issue", voucher.code, {"amount": amount, "expires": expires})
    return voucher


@_atomic
def void_voucher(user, code, reason):
    reason = (reason or "").strip()[:MAX_NOTE]
    if not reason:
        raise TenderError("reason: say why the voucher is voided")
    voucher = Voucher.get_or_none(Voucher.code == normalize_code(code))
    if voucher is None:
        raise TenderError("no voucher with that code")
    if not Voucher.update(status="void").where(
            (Voucher.id == voucher.id) & (Voucher.status == "active")).execute():
        raise TenderError("that voucher is already void")
    by = getattr(user, "username", user)
    _entry("voucher", voucher.code, "void", 0, voucher.balance, f"void:{voucher.code}",
           note=reason, by=by)
    audit(user, "voucher.void", voucher.code, {"reason": reason, "balance": voucher.balance})
    return Voucher.get_by_id(voucher.id)


@_atomic
def adjust_credit(user, customer, amount, reason, reference):
    """Add (or take off) store credit by hand, with a reason; ``reference`` (a form's
    one-time token) makes a form sent twice adjust once."""
    customer = survivor_of((customer or "").strip())
    if not 1 <= len(customer) <= 64:
        raise TenderError("customer: 1 to 64 characters")
    _amount(amount, allow_negative=True)
    reason = (reason or "").strip()[:MAX_NOTE]
    if not reason:
        raise TenderError("reason: say why the credit changes")
    if TenderEntry.select().where(
            (TenderEntry.tender == "store_credit") & (TenderEntry.account == customer)
            & (TenderEntry.kind == "adjustment") & (TenderEntry.reference == reference)
    ).exists():
        return _balance("store_credit", customer)
    by = getattr(user, "username", user)
    balance = _change("store_credit", customer, amount, "adjustment", reference, note=reason,
                      by=by)
    if balance is None:
        raise TenderError(f"that would take the credit below zero "
                          f"({format_money(_balance('store_credit', customer) or 0)} left)")
    audit(user, "store_credit.adjust", customer, {"amount": amount, "reason": reason,
                                                  "balance": balance})
    return balance


def history(tender, account):
    return list(TenderEntry.select().where((TenderEntry.tender == tender)
                                           & (TenderEntry.account == account))
                .order_by(TenderEntry.id.desc()))


def credit_accounts(limit=100):
    """Customers with store credit, the largest balances first."""
    return list(StoreCredit.select().where(StoreCredit.balance > 0)
                .order_by(StoreCredit.balance.desc(), StoreCredit.customer).limit(limit))


def find_vouchers(query="", limit=50):
    """Vouchers whose code or note has ``query`` (any case, dashes optional), newest first."""
    found = Voucher.select().order_by(Voucher.id.desc()).limit(limit)
    query = (query or "").strip()
    if query:
        code = normalize_code(query) if "".join(query.split("-")).isalnum() else query
        found = found.where(Voucher.code.contains(code.upper())
                            | Voucher.note.contains(query))
    return list(found)
