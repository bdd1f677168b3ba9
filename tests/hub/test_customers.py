"""The hub's customers on SQLite and PostgreSQL: profiles checked whole, consent dated,
the Customer table as the tills' source of ids and cards, purchase history and points
from the sales, interactions, tickets and their response times, duplicate suggestions,
a merge that loses nothing (a late sale with the old id lands with the survivor), GDPR
export and erasure, and the move of a store file's customers into the table."""
import datetime

import pytest

from edge.catalog import Catalog
from hub import customers, reports, tenders
from hub.customers import CustomerError, save_customer
from hub.ingest import apply
from hub.models import (
    MODELS,
    AuditEntry,
    ConsentChange,
    Customer,
    CustomerAlias,
    CustomerSpend,
    CustomerStats,
    Interaction,
    Store,
    TenderEntry,
    Ticket,
)
from hub.schema import SCHEMA_VERSION, SchemaVersion, upgrade
from hub.stores import (
    StoreFileError,
    build_snapshot,
    import_store_file,
    publish,
    unpublished_changes,
)
from shared.times import iso, now
from tests.edge.conftest import store
from tests.hub.test_ingest import TOPIC, sale_message
from tests.hub.test_sale_effects import sale

JO = {"name": "Jo Bloggs", "email": "jo@example.com", "phone": "+49 30 1234567",
      "address": "1 High St", "postcode": "10115", "card": "lc 2001", "member": "on",
      "email_marketing": "on"}


def bought(uuid, seq, total, customer, at):
    """A sale of one line (what the reports count into spend by category)."""
    return sale_message(uuid, seq, customer=customer, completed_at=at, result={
        "subtotal": total, "total": total, "tax_total": 0, "taxes": [],
        "lines": [{"sku": "MILK", "qty": 1, "weight_g": None, "net": total}]})


def new(by="ada", **fields):
    values = {**JO, **fields}
    values["email_marketing"] = values["email_marketing"] if values["email"] else ""
    customer, errors = save_customer(by, values)
    assert errors is None, errors
    return customer


def test_a_profile_is_checked_whole_and_consent_is_dated(hub_db):
    bad = {"name": " ", "email": "jo@", "phone": "12ab", "postcode": "10115!", "card": "L-1",
           "address": "x" * 301, "sms_marketing": "on"}
    customer, errors = save_customer("ada", bad)
    assert customer is None
    assert set(errors) == {"name", "email", "phone", "postcode", "card", "address"}
    _, errors = save_customer("ada", {"name": "Al", "sms_marketing": "on",
                                      "email_marketing": "on"})
    assert errors == {"sms_marketing": "SMS marketing needs a phone number",
                      "email_marketing": "email marketing needs an email address"}
    assert Customer.select().count() == 0 == AuditEntry.select().count()

    jo = new()
    assert (jo.code, jo.card, jo.phone_key, jo.email_marketing) == ("C000001", "LC2001",
                                                                   "301234567", True)
    assert jo.email_marketing_at is not None and not jo.sms_marketing
    _, errors = save_customer("ada", {**JO, "name": "Other", "card": "LC2001"})
    assert errors == {"card": "card LC2001 is C000001's"}
    saved, _ = save_customer("ada", {**JO, "email_marketing": ""}, jo)  # withdrawn
    assert not saved.email_marketing
    changes = [(c.channel, c.given) for c in ConsentChange.select().order_by(ConsentChange.id)]
    assert changes == [("email", True), ("email", False)]
    # The audit log names what changed, never the personal values.
    entry = AuditEntry.select().order_by(AuditEntry.id.desc()).get()
    assert (entry.action, entry.detail) == ("customer.update", {"fields": ["email_marketing"]})
    assert "Bloggs" not in str([e.detail for e in AuditEntry.select()])
    entries = AuditEntry.select().count()
    assert save_customer("ada", customers.values_of(saved), saved) == (saved, None)
    assert AuditEntry.select().count() == entries  # nothing changed, nothing written


def test_a_card_taken_at_the_same_moment_is_said_by_its_field(hub_db, monkeypatch):
    new()
    real, asked = customers._card_taken, []

    def taken(card, customer):  # the check finds it free; the unique key says otherwise
        asked.append(card)
        return None if len(asked) == 1 else real(card, customer)

    monkeypatch.setattr(customers, "_card_taken", taken)
    assert save_customer("ada", {**JO, "name": "Other"}) == (
        None, {"card": "this card was just given to another customer"})
    assert Customer.select().count() == 1


def test_the_tills_get_card_holders_from_the_customer_table(hub_db, monkeypatch):
    data = store()
    data["customers"].append({"id": "C2", "name": "No Card", "card": "", "member": True})
    imported = import_store_file(hub_db, data, "ada")
    assert "customers" not in Store.get().till_settings
    assert [c.code for c in Customer.select().order_by(Customer.code)] == ["C1", "C2"]
    assert build_snapshot(imported)["customers"] == [
        {"id": "C1", "name": "Jo Bloggs", "card": "LC1001", "member": True,
         "phone": "07700 900123"}]
    publish(hub_db, imported, "ada")
    assert unpublished_changes(imported) is None
    jo = Customer.get(Customer.code == "C1")
    save_customer("ada", {**customers.values_of(jo), "name": "Jo Bloggs-Smith"}, jo)
    assert unpublished_changes(imported) is not None  # the store page says: publish
    assert build_snapshot(imported)["customers"][0]["name"] == "Jo Bloggs-Smith"
    import_store_file(hub_db, data, "ada")  # again: the hub's edits stay
    assert Customer.get(Customer.code == "C1").name == "Jo Bloggs-Smith"
    # A card of another customer refuses the store file whole.
    clash = store()
    clash["store"]["id"] = "other"
    clash["customers"] = [{"id": "X9", "name": "X", "card": "LC1001"}]
    with pytest.raises(StoreFileError, match="card LC1001 is C1's"):
        import_store_file(hub_db, clash, "ada")
    assert Store.select().count() == 1 and Customer.select().count() == 2
    # Past the limit, the store's own customers come first (by their last purchase
    # there), then everyone by their last purchase anywhere, or when they joined.
    here = new(card="LC3001", email="a@example.com")
    apply(hub_db, TOPIC, sale("s-1", 1, 500, customer=here.code, at=iso(now())))
    CustomerStats.update(visits=1, last_purchase="2099-01-01T09:00:00+00:00").where(
        CustomerStats.customer == "C1").execute()
    monkeypatch.setattr(customers, "TILL_CUSTOMERS", 1)
    assert [c["id"] for c in customers.till_customers("store-1")] == [here.code]
    assert [c["id"] for c in build_snapshot(imported)["customers"]] == ["C1"]


def test_history_points_and_statistics_come_from_the_sales(hub_db):
    jo = new()
    apply(hub_db, TOPIC, sale("s-1", 1, 1250, customer=jo.code, at="2026-11-01T09:00:00+00:00"))
    apply(hub_db, TOPIC, sale("s-2", 2, 800, customer=jo.code, at="2026-11-02T09:00:00+00:00"))
    apply(hub_db, TOPIC, sale("r-1", 3, 300, customer=jo.code, kind="refund",
                              at="2026-11-03T09:00:00+00:00"))
    apply(hub_db, TOPIC, sale("s-3", 4, 999, customer=None))
    assert [s.uuid for s in customers.history(jo)] == ["r-1", "s-2", "s-1"]
    stats = customers.statistics(jo)
    assert (stats["visits"], stats["refunds"], stats["spent"], stats["points"]) == \
        (2, 1, 1750, 12 + 8 - 3)
    assert stats["last_store"] == "store-1"


def test_a_merge_loses_nothing_and_late_sales_land_with_the_survivor(hub_db):
    keep = new(email="", email_marketing="")
    other = new(name="Joe Bloggs", card="LC2002", email="joe@example.com", phone="",
                address="", email_marketing="on")
    apply(hub_db, TOPIC, bought("s-1", 1, 1000, keep.code, "2026-11-01T09:00:00+00:00"))
    apply(hub_db, TOPIC, bought("s-2", 2, 2000, other.code, "2026-11-05T09:00:00+00:00"))
    reports.refresh(hub_db)  # spend by store and category, under each one's id
    tenders.adjust_credit("ada", other.code, 500, "goodwill", "form-1")
    held = {"request": "q-0", "tender": "store_credit", "account": other.code, "amount": 100,
            "sale": "s-9"}
    assert tenders.redeem(hub_db, "store-1", "T01", held)["ok"]  # a till holds 1.00
    customers.add_interaction("ada", other, {"kind": "call", "text": "Asked about points"})
    customers.open_ticket("ada", other, {"subject": "Lost card", "text": "Please help"})
    with pytest.raises(CustomerError, match="itself"):
        customers.merge("ada", keep, keep)

    survivor = customers.merge("ada", keep, other)
    assert Customer.get_or_none(Customer.code == other.code) is None
    assert (survivor.email, survivor.email_marketing, survivor.card) == (
        "joe@example.com", True, "LC2001")  # empty fields filled, the later consent stands
    assert [s.uuid for s in customers.history(survivor)] == ["s-2", "s-1"]
    stats = customers.statistics(survivor)
    assert (stats["visits"], stats["spent"], stats["points"]) == (2, 3000, 30)
    assert CustomerStats.select().count() == 1
    assert stats["store_credit"] == 400  # moved by two adjustments, its ledger says so
    assert [(e.account, e.amount) for e in TenderEntry.select().order_by(TenderEntry.id)] \
        == [(other.code, 500), (other.code, -100), (other.code, -400), (keep.code, 400)]
    with hub_db.atomic():  # the till lets go of what it held: back to the survivor
        tenders.release("store-1", "T01", {**held, "reason": "voided"})
    assert [(row.customer, row.amount) for row in CustomerSpend.select()] == [
        (keep.code, 3000)]
    assert Interaction.get().customer_id == Ticket.get().customer_id == survivor.id
    assert customers.find(other.code) == (survivor, True)
    # A till with an older catalog still knows the merged id and card: both count for keep.
    apply(hub_db, TOPIC, bought("s-3", 3, 500, other.code, "2026-11-06T09:00:00+00:00"))
    stats = customers.statistics(survivor)
    assert (stats["visits"], stats["points"]) == (3, 35)
    assert CustomerStats.get().customer == survivor.code
    reports.refresh(hub_db)  # the late sale's spend counts for the survivor too
    assert [(row.customer, row.amount) for row in CustomerSpend.select()] == [
        (keep.code, 3500)]
    reply = tenders.redeem(hub_db, "store-1", "T01", {  # the till asks with the old id
        "request": "q-1", "tender": "store_credit", "account": other.code, "amount": 200,
        "sale": "s-4"})
    assert (reply["ok"], reply["balance"]) == (True, 300)
    assert {"id": other.code, "name": "Jo Bloggs", "card": "LC2002", "member": True} in \
        customers.till_customers("store-1")
    till = Catalog({**store(), "customers": customers.till_customers("store-1")}, "v")
    assert till.find_customer(card="LC2002").id == other.code  # whose sales land with keep
    assert till.find_customer(card="LC2001").id == survivor.code
    _, errors = save_customer("ada", {**JO, "name": "New", "card": "LC2002"})
    assert errors == {"card": f"card LC2002 is an old card of {survivor.code}"}
    assert AuditEntry.get(AuditEntry.action == "customer.merge").detail == \
        {"merged": other.code}
    # On PostgreSQL an ingest transaction that read no alias yet may commit after the
    # merge: its statistics row and points stay under the old id, and still count.
    CustomerStats.create(customer=other.code, visits=1, spent=700, points=7,
                         first_purchase="2026-10-01T09:00:00+00:00",
                         last_purchase="2026-11-07T09:00:00+00:00", last_store="north")
    stats = customers.statistics(survivor)
    assert (stats["visits"], stats["spent"], stats["last_store"]) == (4, 4200, "north")
    assert stats["first_purchase"] == "2026-10-01T09:00:00+00:00"


def test_search_and_duplicate_suggestions(hub_db):
    a = new(email="Jo@Example.com", phone="+49 30 1234567")
    b = new(card="", name="Joanna X", email="jo@example.com ", phone="")
    c = new(card="", name="Zed", email="", phone="030 1234567", postcode="")
    d = new(card="", name="Bloggs, Jo", email="", phone="", postcode="10115")
    e = new(card="", name="Jo Bloggs", email="", phone="", postcode="99999")
    zoe = new(name="Zoë Ündset", email="zoe@example.org", phone="0171-555 0101", card="")
    for query, found in (("bloggs", [d, a, e]), ("ZOE und", [zoe]), ("EXAMPLE.ORG", [zoe]),
                         ("5550101", [zoe]), ("lc 2001", [a]), (zoe.code.lower(), [zoe]),
                         ("nobody", []), ("!!", [])):
        assert customers.search(query) == found, query
    assert len(customers.search("")) == 6
    # Duplicates: the same email, the same phone, a similar name at the same postcode.
    found = {(x.code, y.code): reasons for x, y, reasons in customers.duplicate_suggestions()}
    assert found == {(a.code, b.code): ["same email"],
                     (a.code, c.code): ["same phone number"],
                     (a.code, d.code): ["similar name, same postcode"]}
    assert e.code not in str(found) and zoe.code not in str(found)
    customers.not_duplicates("ada", c, a)  # an admin says they are different people
    with pytest.raises(CustomerError, match="two different"):
        customers.not_duplicates("ada", c, c)
    customers.erase("ada", b)
    assert {(x.code, y.code) for x, y, _ in customers.duplicate_suggestions()} == \
        {(a.code, d.code)}


def test_tickets_measure_first_response_and_resolution(hub_db):
    jo = new()
    opened = (now() - datetime.timedelta(hours=3)).strftime("%Y-%m-%d %H:%M")
    assert customers.open_ticket("ada", jo, {"subject": "", "text": "", "at": "soon"})[1] == {
        "subject": "the subject is empty", "text": "the request is empty",
        "at": "a date and time, e.g. 2026-12-03 14:30"}
    future = (now() + datetime.timedelta(days=1)).isoformat()
    assert customers.open_ticket("ada", jo, {"subject": "S", "text": "T", "at": future})[1] \
        == {"at": "that is in the future"}
    assert Ticket.select().count() == 0
    ticket, _ = customers.open_ticket("ada", jo, {"subject": "Refund", "text": "Late",
                                                  "at": opened})
    assert customers.update_ticket("ada", ticket, {"kind": "reply", "text": ""}) == {
        "text": "write a reply or a note, or change the status"}
    assert customers.update_ticket("ada", ticket, {"status": "closed", "text": "x"}) == {
        "status": "one of open, waiting, resolved"}
    customers.update_ticket("ada", ticket, {"kind": "note", "text": "internal"})
    assert ticket.first_response_at is None  # a note is not a response
    customers.update_ticket("ada", ticket, {"kind": "reply", "text": "On it",
                                            "status": "waiting"})
    customers.update_ticket("ada", ticket, {"status": "resolved"})
    first, resolved = customers.response_times(Ticket.get_by_id(ticket.id))
    assert datetime.timedelta(hours=3) <= first <= resolved < datetime.timedelta(hours=3,
                                                                                 minutes=2)
    assert customers.duration(first) == "3 h 0 min"
    customers.update_ticket("ada", ticket, {"status": "open", "text": "Back again"})
    assert Ticket.get_by_id(ticket.id).resolved_at is None
    assert customers.add_interaction("ada", jo, {"kind": "fax", "text": " "})[1] == {
        "kind": "one of note, call, email", "text": "the text is empty"}
    assert Interaction.select().count() == 0


def test_export_holds_everything_and_erasure_keeps_the_figures(hub_db):
    jo = new()
    apply(hub_db, TOPIC, sale("s-1", 1, 1250, customer=jo.code))
    customers.add_interaction("ada", jo, {"kind": "email", "text": "Sent the voucher"})
    customers.open_ticket("ada", jo, {"subject": "Lost card", "text": "Jo lost it"})
    tenders.adjust_credit("ada", jo.code, 250, "refund as credit", "form-1")
    data = customers.export("ada", jo)
    assert data["store_credit_entries"][0]["amount"] == data["statistics"]["store_credit"] \
        == 250
    assert data["customer"]["email"] == "jo@example.com"
    assert [s["uuid"] for s in data["sales"]] == ["s-1"] and data["sales"][0]["lines"]
    assert data["statistics"]["points"] == 12 and len(data["loyalty_entries"]) == 1
    assert data["interactions"][0]["text"] == "Sent the voucher"
    assert data["tickets"][0]["entries"][0]["text"] == "Jo lost it"
    assert data["consent_changes"][0]["channel"] == "email"

    customers.erase("ada", jo)
    gone = Customer.get_by_id(jo.id)
    assert (gone.name, gone.email, gone.phone, gone.address, gone.card) == ("", "", "", "",
                                                                          None)
    assert not gone.email_marketing and gone.erased_at is not None
    assert ConsentChange.select().order_by(ConsentChange.id.desc()).get().source == "erasure"
    assert Interaction.get().text == Ticket.get().subject == customers.ERASED
    stats = customers.statistics(gone)
    assert (stats["visits"], stats["spent"], stats["points"], stats["store_credit"]) == (
        1, 1250, 12, 250)  # money the customer is owed stays theirs
    assert customers.till_customers("store-1") == []
    with pytest.raises(CustomerError, match="erased"):
        customers.add_interaction("ada", gone, {"kind": "note", "text": "x"})
    assert [e.action for e in AuditEntry.select().where(AuditEntry.target == jo.code)
            .order_by(AuditEntry.id)][-2:] == ["customer.export", "customer.erase"]
    assert "Bloggs" not in str([e.detail for e in AuditEntry.select()])


def test_a_database_of_version_1_moves_its_stores_customers_to_the_table(hub_db):
    import_store_file(hub_db, store(), "ada")
    settings = {**Store.get().till_settings, "customers": store()["customers"]}
    Store.update(till_settings=settings).execute()
    Customer.delete().execute()
    hub_db.execute_sql("DROP INDEX sale_customer")
    SchemaVersion.update(version=1).execute()
    assert upgrade(hub_db, MODELS) == list(range(2, SCHEMA_VERSION + 1))
    assert Customer.get().code == "C1" and "customers" not in Store.get().till_settings
    assert "sale_customer" in {index.name for index in hub_db.get_indexes("sale")}
    assert CustomerAlias.select().count() == 0
