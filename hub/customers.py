"""The hub's customers: profiles, consent, loyalty cards, what they bought, what was said
with them, and their support tickets; duplicates found and merged; GDPR export and erasure.

The Customer table is the source of the ids (``C0001``) and cards the tills know: a store's
catalog carries its card holders (``till_customers``) and a till names the customer of
each sale by that id. Purchase history is the hub's Sale rows naming the customer, or any
id merged into it (``CustomerAlias``); points and statistics are the sales' effects
(``hub/loyalty.py``), which follow the aliases too, so a sale that arrives after a merge
with the old id or card counts for the customer who survived it.

Every change is checked whole first and written in one transaction; audit entries name the
fields that changed, never their values, so erasure leaves no personal data in the log.
"""
import datetime
import difflib
import re
import unicodedata
from itertools import combinations

from peewee import JOIN, IntegrityError, fn

from shared.times import iso, now

from . import tenders
from .accounts import audit
from .models import (
    CatalogErasure,
    ConsentChange,
    Customer,
    CustomerAlias,
    CustomerSpend,
    CustomerStats,
    Interaction,
    LoyaltyEntry,
    NotDuplicate,
    RfmScore,
    Sale,
    StoreCredit,
    TenderEntry,
    Ticket,
    TicketEntry,
)

PROFILE = ("name", "email", "phone", "address", "postcode", "card")
FLAGS = ("member", "email_marketing", "sms_marketing")
CHANNELS = {"email": "email_marketing", "sms": "sms_marketing"}
# A store's tills hold at most this many customers (see ``till_customers``).
TILL_CUSTOMERS = 20_000
STORE_DAYS = 400  # a store's own customers: those who bought there in this many days
ERASED = "[erased]"
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")
_PHONE = re.compile(r"[0-9 +()./-]+")
_CARD = re.compile(r"[A-Z0-9]{4,32}")
_POSTCODE = re.compile(r"[A-Za-z0-9 -]{0,12}")
LIMITS = {"name": 100, "email": 254, "phone": 40, "address": 300, "postcode": 12}
PHONE_KEY_DIGITS = 9
NAME_SIMILARITY = 0.85


class CustomerError(ValueError):
    """A change to customers that cannot be made; the text says why."""


# -- keys: fields as search and duplicate suggestions compare them --------------------------

def name_key(text):
    """Case, accents and punctuation dropped, spaces collapsed: "Zoë  O'Neil" -> "zoe oneil"."""
    plain = unicodedata.normalize("NFKD", text or "")
    plain = "".join(ch for ch in plain if not unicodedata.combining(ch)).casefold()
    return " ".join("".join(ch for ch in word if ch.isalnum()) for word in plain.split()
                    ).strip()


def digits(text):
    return "".join(ch for ch in text or "" if ch.isdigit())


def phone_key(text):
    """The last nine digits: "+49 30 1234567" and "030 1234567" are one number."""
    found = digits(text)
    return found[-PHONE_KEY_DIGITS:] if len(found) >= 6 else ""


def postcode_key(text):
    return re.sub(r"[\s-]", "", text or "").upper()


def card_number(text):
    return re.sub(r"\s", "", text or "").upper()


def _keys(customer):
    customer.name_key = name_key(customer.name)
    customer.email_key = (customer.email or "").strip().lower()
    customer.phone_key = phone_key(customer.phone)
    customer.postcode_key = postcode_key(customer.postcode)


# -- profiles ----------------------------------------------------------------------------

def values_of(customer):
    """A customer as the profile form shows it."""
    if customer is None:
        return {**dict.fromkeys(PROFILE, ""), "member": True, "email_marketing": False,
                "sms_marketing": False}
    return {**{name: getattr(customer, name) or "" for name in PROFILE},
            **{name: getattr(customer, name) for name in FLAGS}}


def _card_taken(card, customer):
    other = Customer.get_or_none(Customer.card == card)
    if other is not None and (customer is None or other.id != customer.id):
        return f"card {card} is {other.code}'s"
    alias = CustomerAlias.get_or_none(CustomerAlias.card == card)
    if alias is not None and (customer is None or alias.customer_id != customer.id):
        return f"card {card} is an old card of {alias.customer.code}"
    return None


def check_profile(raw, customer=None):
    """The form's text fields and tick boxes, cleaned: (values, {field: why})."""
    values = {name: str(raw.get(name) or "").strip() for name in PROFILE}
    values["card"] = card_number(values["card"])
    values.update({name: raw.get(name) in (True, "on", "yes", "1", "true") for name in FLAGS})
    errors = {}
    if not values["name"]:
        errors["name"] = "a name is needed"
    for name, limit in LIMITS.items():
        if len(values[name]) > limit:
            errors[name] = f"at most {limit} characters"
    if values["email"] and "email" not in errors and not _EMAIL.fullmatch(values["email"]):
        errors["email"] = "an email address, e.g. jo@example.com"
    if values["phone"] and "phone" not in errors and (
            not _PHONE.fullmatch(values["phone"]) or not 6 <= len(digits(values["phone"]))
            <= 15):
        errors["phone"] = "6 to 15 digits, with spaces, +, (, ), -, . or / if you like"
    if "postcode" not in errors and not _POSTCODE.fullmatch(values["postcode"]):
        errors["postcode"] = "letters, digits, spaces and - only"
    if values["card"]:
        if not _CARD.fullmatch(values["card"]):
            errors["card"] = "4-32 letters and digits, as printed on the card"
        elif taken := _card_taken(values["card"], customer):
            errors["card"] = taken
    if values["email_marketing"] and not values["email"] and "email" not in errors:
        errors["email_marketing"] = "email marketing needs an email address"
    if values["sms_marketing"] and not values["phone"] and "phone" not in errors:
        errors["sms_marketing"] = "SMS marketing needs a phone number"
    return values, errors


def next_code():
    """An id no customer or merged customer has: C000001, C000002… (a store file's ids,
    e.g. C0001, are kept as they are)."""
    number = (Customer.select(fn.MAX(Customer.id)).scalar() or 0) + 1
    while True:
        code = f"C{number:06d}"
        if not (Customer.select().where(Customer.code == code).exists()
                or CustomerAlias.select().where(CustomerAlias.code == code).exists()):
            return code
        number += 1


def _consent(by, customer, values, source, at):
    """Set the consent flags from ``values``; each change is dated and kept."""
    for channel, flag in CHANNELS.items():
        if values[flag] != getattr(customer, flag):
            setattr(customer, flag, values[flag])
            setattr(customer, f"{flag}_at", at)
            ConsentChange.create(customer=customer, channel=channel, given=values[flag],
                                 at=at, by=getattr(by, "username", by), source=source)


def save_customer(by, raw, customer=None):
    """Create or update a customer from the profile form: (Customer, None), or (None,
    {field: why}) with nothing written."""
    values, errors = check_profile(raw, customer)
    if customer is not None and customer.erased_at is not None:
        errors["name"] = "this customer was erased: the record cannot be filled in again"
    if errors:
        return None, errors
    before = values_of(customer) if customer else {}
    changed = sorted(name for name in (*PROFILE, *FLAGS) if before.get(name) != values[name])
    if customer is not None and not changed:
        return customer, None  # nothing to write, and the tills' catalogs stay as they are
    try:
        return _save(by, values, customer, changed), None
    except IntegrityError:  # another admin took the card (or the next id) meanwhile
        return None, {"card": "this card was just given to another customer"} \
            if values["card"] and _card_taken(values["card"], customer) else \
            {"name": "another customer was saved at the same moment: save again"}


def _save(by, values, customer, changed):
    with Customer._meta.database.atomic():
        at = now()
        action = "customer.update" if customer else "customer.create"
        if customer is None:
            customer = Customer(code=next_code(), created_at=at)
        for name in PROFILE:
            setattr(customer, name, values[name] or None if name == "card" else values[name])
        customer.member = values["member"]
        _keys(customer)
        customer.updated_at = at
        customer.save()
        _consent(by, customer, values, "hub", at)
        customer.save()
        if action == "customer.create":
            start_stats(customer.code)
        audit(by, action, customer.code, {"fields": changed})
    return customer


def import_customers(raw_customers, by):
    """A store file's customers into the table, inside the caller's transaction: ids the
    hub does not know are created; ids it knows are left as the hub has them. Returns
    how many were created; CustomerError when a card is another customer's."""
    created = 0
    for raw in raw_customers:
        code = str(raw["id"])
        if Customer.select().where(Customer.code == code).exists() or \
                CustomerAlias.select().where(CustomerAlias.code == code).exists():
            continue
        card = card_number(str(raw.get("card") or "")) or None
        if card and (taken := _card_taken(card, None)):
            raise CustomerError(f"customer {code}: {taken}")
        customer = Customer(code=code, name=str(raw.get("name", "")), card=card,
                            phone=str(raw.get("phone", "")),
                            member=bool(raw.get("member", True)))
        _keys(customer)
        customer.save()
        start_stats(code)
        created += 1
    if created:
        audit(by, "customer.import", "", {"created": created})
    return created


def start_stats(code):
    """A new customer's statistics at nothing bought yet: rule segments ("visits at most
    0", a tier from 0) find customers who never bought too."""
    CustomerStats.insert(customer=code).on_conflict_ignore().execute()


def adopt_store_customers(database):
    """Schema version 2: the customers stores kept in their settings move to the table."""
    from .models import MODELS, Store  # noqa: PLC0415 (at migration time)

    database.create_tables(MODELS)
    for store in Store.select():
        settings = dict(store.till_settings)
        if "customers" in settings:
            import_customers(settings.pop("customers"), "system")
            store.till_settings = settings
            store.save()


# -- finding customers -------------------------------------------------------------------

def find(code):
    """(the customer with this id, or the one it was merged into; whether it was merged),
    or (None, False)."""
    customer = Customer.get_or_none(Customer.code == code)
    if customer is not None:
        return customer, False
    alias = CustomerAlias.get_or_none(CustomerAlias.code == code)
    return (alias.customer, True) if alias else (None, False)


def codes_of(customer):
    """The customer's id and the ids merged into it: what their sales may name."""
    return [customer.code, *(alias.code for alias in CustomerAlias.select(CustomerAlias.code)
                             .where(CustomerAlias.customer == customer))]


def search(query, limit=50):
    """Customers by name (any part, accents and case aside), email, phone digits or card."""
    found = Customer.select().order_by(Customer.name_key, Customer.code).limit(limit)
    query = (query or "").strip()
    if not query:
        return list(found)
    if card_number(query) and re.search(r"\d", query):  # a card or an id: one look-up
        exact = list(found.where((Customer.card == card_number(query))
                                 | (Customer.code == query.upper())))
        if exact:
            return exact
    condition = Customer.name_key.contains(name_key(query)) if name_key(query) else None
    if "@" in query or "." in query:
        condition = _or(condition, Customer.email_key.contains(query.lower()))
    if len(digits(query)) >= 4 and not re.search(r"[A-Za-z]", query):
        condition = _or(condition, fn.REPLACE(fn.REPLACE(Customer.phone, " ", ""), "-", "")
                        .contains(digits(query)))
    return list(found.where(condition)) if condition is not None else []


def _or(left, right):
    return right if left is None else left | right


# -- what the sales say ------------------------------------------------------------------

def statistics(customer):
    """Visits, refunds, spent (minor units), points and purchase dates over the customer's
    ids: a merge, or a sale applied while one ran, leaves nothing out."""
    codes = codes_of(customer)
    rows = list(CustomerStats.select().where(CustomerStats.customer.in_(codes)))
    total = {"visits": sum(row.visits for row in rows),
             "refunds": sum(row.refunds for row in rows),
             "spent": sum(row.spent for row in rows),
             "first_purchase": min((row.first_purchase for row in rows
                                    if row.first_purchase), default=None),
             "last_purchase": max((row.last_purchase for row in rows
                                   if row.last_purchase), default=None)}
    total["last_store"] = next((row.last_store for row in rows
                                if row.last_purchase == total["last_purchase"]), None)
    # int(): PostgreSQL sums BIGINT as NUMERIC.
    total["points"] = int(LoyaltyEntry.select(fn.COALESCE(fn.SUM(LoyaltyEntry.points), 0))
                          .where(LoyaltyEntry.customer.in_(codes)).scalar())
    total["store_credit"] = int(StoreCredit.select(fn.COALESCE(fn.SUM(StoreCredit.balance),
                                                               0))
                                .where(StoreCredit.customer.in_(codes)).scalar())
    rfm = RfmScore.get_or_none(RfmScore.customer == customer.code)
    total["rfm"] = rfm and {"recency": rfm.recency, "frequency": rfm.frequency,
                            "monetary": rfm.monetary, "segment": rfm.label}
    return total


def history(customer, limit=None, offset=0):
    """The customer's sales and refunds, latest first."""
    query = (Sale.select().where(Sale.customer.in_(codes_of(customer)))
             .order_by(Sale.completed_at.desc(), Sale.uuid))
    return list(query.limit(limit).offset(offset) if limit else query)


def points_history(customer, limit=None):
    query = (LoyaltyEntry.select().where(LoyaltyEntry.customer.in_(codes_of(customer)))
             .order_by(LoyaltyEntry.at.desc()))
    return list(query.limit(limit) if limit else query)


# -- interactions and tickets ------------------------------------------------------------

def _when(text, field, errors):
    """A moment typed as YYYY-MM-DD HH:MM (UTC), not in the future; empty: now."""
    text = (text or "").strip()
    if not text:
        return now()
    try:
        moment = datetime.datetime.fromisoformat(text.replace(" ", "T"))
        if moment.tzinfo is not None:  # (0001-01-01T00:00+05:00 overflows: before year 1)
            moment = moment.astimezone(datetime.UTC).replace(tzinfo=None)
    except (ValueError, OverflowError):
        errors[field] = "a date and time, e.g. 2026-12-03 14:30"
        return None
    if moment > now() + datetime.timedelta(minutes=5):
        errors[field] = "that is in the future"
        return None
    return moment


def _text(raw, field, errors, limit=5000, what="text"):
    text = (raw or "").strip()
    if not text:
        errors[field] = f"the {what} is empty"
    elif len(text) > limit:
        errors[field] = f"at most {limit} characters"
    return text


def _writable(customer):
    if customer.erased_at is not None:
        raise CustomerError("this customer was erased: nothing more is recorded about them")


def add_interaction(by, customer, raw):
    """Log a note, call or email: (Interaction, None) or (None, {field: why})."""
    _writable(customer)
    errors = {}
    kind = raw.get("kind", "")
    if kind not in Interaction.KINDS:
        errors["kind"] = f"one of {', '.join(Interaction.KINDS)}"
    text = _text(raw.get("text"), "text", errors)
    at = _when(raw.get("at"), "at", errors)
    if errors:
        return None, errors
    with Customer._meta.database.atomic():
        entry = Interaction.create(customer=customer, kind=kind, text=text,
                                   by=getattr(by, "username", by), at=at)
        audit(by, "customer.interaction", customer.code, {"kind": kind})
    return entry, None


def open_ticket(by, customer, raw):
    """A new ticket with the customer's request: (Ticket, None) or (None, {field: why})."""
    _writable(customer)
    errors = {}
    subject = _text(raw.get("subject"), "subject", errors, 200, "subject")
    text = _text(raw.get("text"), "text", errors, what="request")
    at = _when(raw.get("at"), "at", errors)
    if errors:
        return None, errors
    with Customer._meta.database.atomic():
        ticket = Ticket.create(customer=customer, subject=subject, opened_at=at,
                               opened_by=getattr(by, "username", by))
        TicketEntry.create(ticket=ticket, kind="request", text=text, at=at,
                           by=getattr(by, "username", by))
        audit(by, "ticket.open", customer.code, {"ticket": ticket.id})
    return ticket, None


def update_ticket(by, ticket, raw):
    """A reply or an internal note, and/or a new status: None, or {field: why}. The first
    reply sets the first response time; resolving sets the resolution time (reopening
    clears it)."""
    _writable(ticket.customer)
    errors = {}
    kind, status = raw.get("kind", "reply"), raw.get("status") or ticket.status
    text = (raw.get("text") or "").strip()
    if kind not in ("reply", "note"):
        errors["kind"] = "reply or note"
    if status not in Ticket.STATUSES:
        errors["status"] = f"one of {', '.join(Ticket.STATUSES)}"
    if len(text) > 5000:
        errors["text"] = "at most 5000 characters"
    elif not text and status == ticket.status:
        errors["text"] = "write a reply or a note, or change the status"
    if errors:
        return errors
    at = now()
    with Customer._meta.database.atomic():
        if text:
            TicketEntry.create(ticket=ticket, kind=kind, text=text, at=at,
                               by=getattr(by, "username", by))
            if kind == "reply" and ticket.first_response_at is None:
                ticket.first_response_at = at
        if status != ticket.status:
            ticket.resolved_at = at if status == "resolved" else None
            ticket.status = status
        ticket.save()
        audit(by, "ticket.update", ticket.customer.code,
              {"ticket": ticket.id, "status": status, "entry": kind if text else None})
    return None


def response_times(ticket):
    """(time to first response, time to resolution) as timedeltas, None while there is
    none."""
    first = ticket.first_response_at and ticket.first_response_at - ticket.opened_at
    resolved = ticket.resolved_at and ticket.resolved_at - ticket.opened_at
    return first, resolved


def duration(delta):
    """A timedelta for people: 2 d 3 h, 3 h 5 min, 12 min."""
    if delta is None:
        return "–"
    minutes = int(delta.total_seconds() // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days} d {hours} h"
    return f"{hours} h {minutes} min" if hours else f"{minutes} min"


def ticket_queue(since_days=30):
    """The tickets still open or waiting, oldest first, and those opened in the last
    ``since_days`` days (for the mean response times)."""
    waiting = list(Ticket.select(Ticket, Customer).join(Customer)
                   .where(Ticket.status != "resolved").order_by(Ticket.opened_at))
    recent = list(Ticket.select().where(
        Ticket.opened_at >= now() - datetime.timedelta(days=since_days)))
    return waiting, recent


def average_times(tickets):
    """Mean time to first response and to resolution over the tickets that have one."""
    means = []
    for index in (0, 1):
        times = [time for time in (response_times(ticket)[index] for ticket in tickets)
                 if time is not None]
        means.append(sum(times, datetime.timedelta()) / len(times) if times else None)
    return tuple(means)


# -- duplicates and merging --------------------------------------------------------------

def duplicate_suggestions(limit=200):
    """Pairs that may be one person: [(a, b, [reasons])], strongest first. The rules:
    the same email address (case aside); the same phone number (its last nine digits, so
    a country code or a leading 0 does not matter); or names alike (accents, case and
    word order aside, at least 85% similar, sharing a word) at the same postcode. Erased
    customers are left out."""
    live = Customer.erased_at.is_null()
    pairs = {}

    def add(first, second, reason):
        key = tuple(sorted((first, second)))
        pairs.setdefault(key, []).append(reason)

    for field, reason in ((Customer.email_key, "same email"),
                          (Customer.phone_key, "same phone number")):
        shared = (Customer.select(field).where(live & (field != ""))
                  .group_by(field).having(fn.COUNT(Customer.id) > 1))
        groups = {}
        for key, number in Customer.select(field, Customer.id).where(
                live & field.in_(shared)).tuples():
            groups.setdefault(key, []).append(number)
        for numbers in groups.values():
            for first, second in combinations(sorted(numbers), 2):
                add(first, second, reason)
    shared = (Customer.select(Customer.postcode_key)
              .where(live & (Customer.postcode_key != ""))
              .group_by(Customer.postcode_key).having(fn.COUNT(Customer.id) > 1))
    groups = {}
    for postcode, number, key in Customer.select(
            Customer.postcode_key, Customer.id, Customer.name_key).where(
            live & Customer.postcode_key.in_(shared)).tuples():
        groups.setdefault(postcode, []).append((number, key))
    for members in groups.values():
        for first, second in _alike(members):
            add(first, second, "similar name, same postcode")
    for pair in NotDuplicate.select(NotDuplicate.first, NotDuplicate.second).tuples():
        pairs.pop(tuple(sorted(pair)), None)
    ranked = sorted(pairs.items(), key=lambda item: (-len(item[1]), item[0]))[:limit]
    customers = {customer.id: customer for customer in Customer.select().where(
        Customer.id.in_({number for pair, _ in ranked for number in pair}))}
    return [(customers[a], customers[b], reasons) for (a, b), reasons in ranked]


def _alike(members):
    """Pairs of (id, name key) whose names are alike: sharing a word (only those are
    compared, so a postcode with many customers stays quick), and at least 85% similar
    with the words in order ("bloggs jo" is "jo bloggs")."""
    by_word = {}
    for number, key in members:
        for word in set(key.split()):
            by_word.setdefault(word, []).append(number)
    names = {number: " ".join(sorted(key.split())) for number, key in members}
    candidates = {pair for numbers in by_word.values()
                  for pair in combinations(sorted(numbers), 2)}
    for first, second in sorted(candidates):
        matcher = difflib.SequenceMatcher(None, names[first], names[second])
        if matcher.quick_ratio() >= NAME_SIMILARITY and matcher.ratio() >= NAME_SIMILARITY:
            yield first, second


def not_duplicates(by, first, second):
    """Two customers are different people: the pair is no longer suggested."""
    if first.id == second.id:
        raise CustomerError("choose two different customers")
    first, second = sorted((first, second), key=lambda customer: customer.id)
    with Customer._meta.database.atomic():
        NotDuplicate.insert(first=first, second=second, by=getattr(by, "username", by)) \
            .on_conflict_ignore().execute()
        audit(by, "customer.not_duplicate", first.code, {"other": second.code})


def merge(by, keep, other):
    """Merge ``other`` into ``keep``: its sales, points, statistics, interactions, tickets
    and consent history become ``keep``'s; its id (and card, unless ``keep`` has none and
    takes it) stay as an alias, so a sale that still names them counts for ``keep``. Empty
    profile fields of ``keep`` are filled from ``other``; for each consent the later
    decision stands. ``other`` is then gone. Returns ``keep``."""
    if keep.id == other.id:
        raise CustomerError("a customer cannot be merged with itself")
    if keep.erased_at or other.erased_at:
        raise CustomerError("an erased customer cannot be merged")
    database = Customer._meta.database
    with database.atomic():
        keep, other = Customer.get_by_id(keep.id), Customer.get_by_id(other.id)
        old_card = other.card
        other.card = None
        other.save()
        if keep.card is None and old_card:
            keep.card, old_card = old_card, None
        for name in ("email", "phone", "address", "postcode"):
            if not getattr(keep, name) and getattr(other, name):
                setattr(keep, name, getattr(other, name))
        for flag in CHANNELS.values():
            mine, theirs = getattr(keep, f"{flag}_at"), getattr(other, f"{flag}_at")
            if theirs is not None and (mine is None or theirs > mine):
                setattr(keep, flag, getattr(other, flag))
                setattr(keep, f"{flag}_at", theirs)
        keep.member = keep.member or other.member
        for model in (Interaction, Ticket, ConsentChange, CustomerAlias):
            model.update(customer=keep).where(model.customer == other).execute()
        NotDuplicate.delete().where((NotDuplicate.first == other)
                                    | (NotDuplicate.second == other)).execute()
        _merge_figures(by, keep.code, other.code)  # before the alias: it names other's
        CustomerAlias.create(code=other.code, card=old_card, customer=keep)
        LoyaltyEntry.update(customer=keep.code).where(
            LoyaltyEntry.customer == other.code).execute()
        _merge_stats(keep.code, other.code)
        other.delete_instance()
        _keys(keep)
        keep.updated_at = now()
        keep.save()
        audit(by, "customer.merge", keep.code, {"merged": other.code})
    return keep


def _merge_figures(by, keep, other):
    """What other parts of the hub keep under the merged customer's id: store credit moves
    by two adjustments (its ledger says so), spend by store and category adds up, and the
    RFM score goes (the next computation scores the survivor from the merged statistics)."""
    credit = StoreCredit.get_or_none(StoreCredit.customer == other)
    if credit is not None and credit.balance:
        reference = f"merge:{other}"
        tenders.adjust_credit(by, other, -credit.balance, f"merged into {keep}", reference)
        tenders.adjust_credit(by, keep, credit.balance, f"merged from {other}", reference)
    for row in CustomerSpend.select().where(CustomerSpend.customer == other):
        CustomerSpend.insert(customer=keep, store=row.store, category=row.category,
                             amount=row.amount).on_conflict(
            conflict_target=[CustomerSpend.customer, CustomerSpend.store,
                             CustomerSpend.category],
            update={CustomerSpend.amount: CustomerSpend.amount + row.amount}).execute()
    CustomerSpend.delete().where(CustomerSpend.customer == other).execute()
    RfmScore.delete().where(RfmScore.customer == other).execute()


def _merge_stats(keep, other):
    rows = {row.customer: row for row in CustomerStats.select().where(
        CustomerStats.customer.in_([keep, other]))}
    if other not in rows:
        return
    theirs = rows[other]
    mine = rows.get(keep) or CustomerStats(customer=keep)
    for name in ("visits", "refunds", "spent", "points"):
        setattr(mine, name, (getattr(mine, name) or 0) + getattr(theirs, name))
    firsts = [at for at in (mine.first_purchase, theirs.first_purchase) if at]
    mine.first_purchase = min(firsts, default=None)
    if theirs.last_purchase and (not mine.last_purchase
                                 or theirs.last_purchase > mine.last_purchase):
        mine.last_purchase, mine.last_store = theirs.last_purchase, theirs.last_store
    theirs.delete_instance()
    mine.save(force_insert=keep not in rows)


# -- GDPR --------------------------------------------------------------------------------

def _moment(value):
    return iso(value) if isinstance(value, datetime.datetime) else value


def export(by, customer):
    """Everything the hub holds about the customer, as JSON-ready data; audited."""
    profile = {name: getattr(customer, name) for name in (
        "code", *PROFILE, *FLAGS, "email_marketing_at", "sms_marketing_at", "created_at",
        "updated_at", "erased_at")}
    data = {
        "customer": {name: _moment(value) for name, value in profile.items()},
        "merged_ids": [{"id": alias.code, "card": alias.card, "merged_at": iso(alias.merged_at)}
                       for alias in customer.aliases.order_by(CustomerAlias.code)],
        "consent_changes": [
            {"channel": change.channel, "given": change.given, "at": iso(change.at),
             "by": change.by, "source": change.source}
            for change in customer.consent_changes.order_by(ConsentChange.at)],
        "statistics": statistics(customer),
        "loyalty_entries": [{"sale": entry.sale, "store": entry.store, "points": entry.points,
                             "at": entry.at} for entry in points_history(customer)],
        "store_credit_entries": [
            {"kind": entry.kind, "amount": entry.amount, "balance": entry.balance,
             "store": entry.store, "note": entry.note, "at": iso(entry.at)}
            for entry in TenderEntry.select().where(
                (TenderEntry.tender == "store_credit")
                & TenderEntry.account.in_(codes_of(customer))).order_by(TenderEntry.id)],
        "spend_by_store_and_category": [
            {"store": row.store, "category": row.category, "amount": row.amount}
            for row in CustomerSpend.select().where(
                CustomerSpend.customer.in_(codes_of(customer))).order_by(
                CustomerSpend.store, CustomerSpend.category)],
        "sales": [{"uuid": sale.uuid, "store": sale.store, "till": sale.till,
                   "kind": sale.kind, "completed_at": sale.completed_at, "total": sale.total,
                   "customer_id": sale.customer, "lines": sale.body.get("lines", [])}
                  for sale in history(customer)],
        "interactions": [{"kind": entry.kind, "text": entry.text, "by": entry.by,
                          "at": iso(entry.at)}
                         for entry in customer.interactions.order_by(Interaction.at)],
        "tickets": [{"id": ticket.id, "subject": ticket.subject, "status": ticket.status,
                     "opened_at": iso(ticket.opened_at),
                     "first_response_at": iso(ticket.first_response_at),
                     "resolved_at": iso(ticket.resolved_at),
                     "entries": [{"kind": entry.kind, "text": entry.text, "by": entry.by,
                                  "at": iso(entry.at)}
                                 for entry in ticket.entries.order_by(TicketEntry.id)]}
                    for ticket in customer.tickets.order_by(Ticket.id)],
    }
    audit(by, "customer.export", customer.code)
    return data


def erase(by, customer):
    """Anonymise the customer: personal fields blanked, consent withdrawn, cards removed,
    what was written about them (interactions, tickets) replaced by "[erased]". The id
    stays, so their sales, points and statistics still add up in every figure. The
    catalogs follow at the catalog server's next jobs (``hub/erasure.py``)."""
    if customer.erased_at is not None:
        raise CustomerError("this customer was erased already")
    with Customer._meta.database.atomic():
        at = now()
        _consent(by, customer, {"email_marketing": False, "sms_marketing": False},
                 "erasure", at)
        for name in ("name", "email", "phone", "address", "postcode"):
            setattr(customer, name, "")
        customer.card = None
        customer.member = False
        customer.erased_at = customer.updated_at = at
        _keys(customer)
        customer.save()
        CustomerAlias.update(card=None).where(CustomerAlias.customer == customer).execute()
        codes = [customer.code, *(alias.code for alias in customer.aliases)]
        CatalogErasure.insert_many([{"code": code, "erased_at": at} for code in codes]
                                   ).on_conflict_ignore().execute()
        Interaction.update(text=ERASED).where(Interaction.customer == customer).execute()
        tickets = Ticket.select(Ticket.id).where(Ticket.customer == customer)
        Ticket.update(subject=ERASED).where(Ticket.customer == customer).execute()
        TicketEntry.update(text=ERASED).where(TicketEntry.ticket.in_(tickets)).execute()
        audit(by, "customer.erase", customer.code)
    return customer


# -- the tills' customers ----------------------------------------------------------------

def till_customers(store, limit=None):
    """The customers the tills of ``store`` are sent, in the store file's form: card
    holders (not erased) with id, name, card, phone (when there is one) and member flag,
    and each card merged into one of them under its old id. A till finds a customer by
    card (or a card holder's phone); one without a card has nothing to do at a till.

    At most ``TILL_CUSTOMERS``. Measured on a till, each customer costs about 650 bytes
    while it runs (the snapshot it keeps and its indexes) and 1.8 KB at the peak of taking
    a whole new snapshot (both versions loaded): 20,000 are 13 MB, 34 MB at the peak, over
    the till's 72 MB, under its 120 MB target. Past that, the store's own customers (by
    their last purchase there, over the last ``STORE_DAYS``) come first, then everyone
    else by their last purchase anywhere or when they joined."""
    limit = limit or TILL_CUSTOMERS
    rows = list(Customer.select(Customer.id, Customer.code, Customer.name, Customer.card,
                                Customer.phone, Customer.member, Customer.created_at,
                                CustomerStats.last_purchase)
                .join(CustomerStats, JOIN.LEFT_OUTER,
                      on=(CustomerStats.customer == Customer.code))
                .where(Customer.card.is_null(False) & Customer.erased_at.is_null())
                .order_by(Customer.code).tuples())
    if len(rows) > limit:
        here = _bought_at(store)
        rows.sort(key=lambda row: (row[1] in here, here.get(row[1]) or max(
            row[7] or "", iso(row[6]))), reverse=True)
        rows = sorted(rows[:limit], key=lambda row: row[1])
    customers = {}
    for number, code, name, card, phone, member, _, _ in rows:
        customers[number] = entry = {"id": code, "name": name, "card": card,
                                     "member": member}
        if phone:
            entry["phone"] = phone
    out = list(customers.values())
    for code, card, number in CustomerAlias.select(
            CustomerAlias.code, CustomerAlias.card, CustomerAlias.customer).where(
            CustomerAlias.card.is_null(False)).order_by(CustomerAlias.code).tuples():
        if number in customers:
            out.append({"id": code, "name": customers[number]["name"], "card": card,
                        "member": customers[number]["member"]})
    return out


def _bought_at(store):
    """{customer id: their last purchase in ``store``} over the last ``STORE_DAYS``, merged
    ids counted as their survivors'."""
    since = iso(now() - datetime.timedelta(days=STORE_DAYS))
    aliases = dict(CustomerAlias.select(CustomerAlias.code, Customer.code).join(Customer)
                   .tuples())
    last = {}
    for code, at in (Sale.select(Sale.customer, fn.MAX(Sale.completed_at))
                     .where((Sale.store == store) & Sale.customer.is_null(False)
                            & (Sale.completed_at >= since))
                     .group_by(Sale.customer).tuples()):
        code = aliases.get(code, code)
        last[code] = max(last.get(code, ""), at)
    return last
