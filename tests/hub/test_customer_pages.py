"""The customers' pages with the Flask test client: what each role may see and do, search,
the customer page with its history, and bad input on every form answered by its field
with nothing written."""
import json

import pytest

from hub import customers
from hub.ingest import apply
from hub.models import (
    AuditEntry,
    ConsentChange,
    Customer,
    CustomerAlias,
    Interaction,
    NotDuplicate,
    Ticket,
    TicketEntry,
)
from tests.hub.admin_client import Admin
from tests.hub.test_customers import JO
from tests.hub.test_ingest import TOPIC
from tests.hub.test_sale_effects import sale

# page or action -> the roles that may
MAY = {"view": {"admin", "store-manager", "marketing"},
       "edit": {"admin", "store-manager"},
       "merge": {"admin"}, "export": {"admin"}, "erase": {"admin"}}


@pytest.fixture
def two(hub_app):
    with hub_app.app_context():
        jo, _ = customers.save_customer("system", JO)
        joe, _ = customers.save_customer("system", {**JO, "name": "Joe Bloggs", "card": "LC9009",
                                                    "email": "JO@example.com"})
    return jo.code, joe.code


def test_each_role_may_do_what_its_permissions_say(hub_app, two):
    # One app for all four, each role on a client of its own; the admin last, as it merges.
    for role in ("viewer", "marketing", "store-manager", "admin"):
        check_role(Admin(hub_app.test_client()), role, *two)


def check_role(admin, role, jo, joe):
    admin.sign_in(role)
    expect = {name: role in roles for name, roles in MAY.items()}
    for path in ("/customers", f"/customers/{jo}", "/customers/duplicates",
                 "/customers/tickets"):
        admin.page(path, 200 if expect["view"] else 403)
    admin.page("/customers/new", 200 if expect["edit"] else 403)
    admin.page(f"/customers/merge?keep={jo}&other={joe}", 200 if expect["merge"] else 403)
    admin.page(f"/customers/{jo}/erase", 200 if expect["erase"] else 403)
    # Posts are refused before the form is looked at when the role may not.
    token_page = "/customers" if expect["view"] else "/sign-in"
    for path, data, allowed, done in (
            (f"/customers/{jo}", {**JO, "name": "Renamed"}, expect["edit"], 302),
            (f"/customers/{jo}/interactions", {"kind": "note", "text": "hi"},
             expect["edit"], 302),
            (f"/customers/{jo}/export", {}, expect["export"], 200),
            ("/customers/duplicates/dismiss", {"first": jo, "second": joe}, expect["edit"],
             302),
            (f"/customers/merge?keep={jo}&other={joe}", {}, expect["merge"], 302)):
        response = admin.submit(path, data, form_page=token_page)
        assert response.status_code == (done if allowed else 403), path
    page = admin.page("/customers") if expect["view"] else ""
    assert ('href="/customers/new"' in page) == expect["edit"], role


def test_search_finds_by_name_email_phone_and_card(admin, two):
    jo, joe = two
    with admin.client.application.app_context():
        customers.save_customer("system", {"name": "Zoë Ündset", "phone": "0171 555 0101"})
    admin.sign_in("marketing")
    for query, codes in (("bloggs", {jo, joe}), ("JO@EXAMPLE", {jo, joe}),
                         ("zoe und", {"C000003"}), ("555 0101", {"C000003"}),
                         ("lc 9009", {joe}), ("nobody", set())):
        page = admin.page(f"/customers?q={query}")
        assert {code for code in ("C000001", "C000002", "C000003")
                if f'data-test="customer-{code}"' in page} == codes, query
    rows = admin.client.get("/customers?q=lc9009", headers={"HX-Request": "true"})
    assert "<html" not in rows.get_data(as_text=True)


def test_the_customer_page_shows_history_points_interactions_and_tickets(admin, two):
    jo, joe = two
    database = admin.client.application.extensions["hub_db"]
    apply(database, TOPIC, sale("s-1", 1, 1250, customer=jo))
    admin.sign_in("store-manager")
    admin.submit(f"/customers/{jo}/interactions", {"kind": "call", "text": "Called back"},
                 302, form_page=f"/customers/{jo}")
    response = admin.submit(f"/customers/{jo}/tickets", {"subject": "Lost card",
                                                         "text": "Needs a new one"},
                            302, form_page=f"/customers/{jo}")
    ticket = response.headers["Location"]
    admin.submit(ticket, {"kind": "reply", "text": "Sent", "status": "resolved"}, 302)
    page = admin.page(ticket)
    assert "min" in page.split('data-test="first-response"')[1][:40]
    page = admin.page(f"/customers/{jo}")
    for text in ('data-test="sale-s-1"', "12.50", 'data-test="points">12<', "Called back",
                 "Lost card", "resolved", "Consent history"):
        assert text in page, text
    assert 'data-test="no-tickets"' in admin.page("/customers/tickets")  # it was resolved
    admin.submit(f"/customers/{joe}/tickets", {"subject": "Wrong price", "text": "Milk"},
                 302, form_page=f"/customers/{joe}")
    queue = admin.page("/customers/tickets")
    assert "Wrong price" in queue and "Lost card" not in queue
    assert 'data-test="averages">Over the last 30 days: mean first response <strong>0 min' \
        in queue
    for number in range(2, 53):  # a page holds 50 purchases; older ones are on the next
        apply(database, TOPIC, sale(f"s-{number}", number, 100, customer=jo,
                                    at=f"2026-10-01T09:{number:02d}:00+00:00"))
    first, second = admin.page(f"/customers/{jo}"), admin.page(f"/customers/{jo}?page=2")
    assert 'data-test="sale-s-1"' in first and 'data-test="older"' in first
    assert 'data-test="sale-s-2"' in second and 'data-test="sale-s-1"' not in second
    assert 'data-test="older"' not in second and 'data-test="newer"' in second
    other = admin.page(f"/customers/{joe}")
    assert 'data-test="no-sales"' in other and "Wrong price" in other


def test_bad_input_on_every_form_says_why_and_writes_nothing(admin, two):
    jo, joe = two
    admin.sign_in("admin")
    before = Customer.get(Customer.code == jo).name
    page = admin.submit(f"/customers/{jo}", {**JO, "name": "", "email": "nope",
                                             "card": "LC9009"}, 400).get_data(as_text=True)
    for field, text in (("name", "a name is needed"), ("email", "an email address"),
                        ("card", f"card LC9009 is {joe}")):
        assert f'data-test="error-{field}">{text}' in page, field
    assert Customer.get(Customer.code == jo).name == before
    page = admin.submit("/customers/new", {"name": "X", "phone": "abc"}, 400)
    assert 'data-test="error-phone"' in page.get_data(as_text=True)
    assert Customer.select().count() == 2
    page = admin.submit(f"/customers/{jo}/interactions", {"kind": "fax", "text": ""}, 400,
                        form_page=f"/customers/{jo}").get_data(as_text=True)
    assert 'data-test="error-kind"' in page and 'data-test="error-text"' in page
    page = admin.submit(f"/customers/{jo}/tickets", {"subject": "", "text": "x",
                                                     "at": "yesterday"}, 400,
                        form_page=f"/customers/{jo}").get_data(as_text=True)
    assert 'data-test="error-subject"' in page and 'data-test="error-at"' in page
    assert Interaction.select().count() == Ticket.select().count() == 0
    ticket, _ = customers.open_ticket("ada", Customer.get(Customer.code == jo),
                                      {"subject": "S", "text": "T"})
    path = f"/customers/{jo}/tickets/{ticket.id}"
    page = admin.submit(path, {"kind": "shout", "text": "", "status": "gone"}, 400)
    assert 'data-test="error-status"' in page.get_data(as_text=True)
    assert TicketEntry.select().count() == 1
    page = admin.submit(f"/customers/{jo}/erase", {"confirm": "yes"}, 400)
    assert f"id, {jo}, to confirm the erasure" in page.get_data(as_text=True)
    assert Customer.get(Customer.code == jo).erased_at is None
    admin.page("/customers/merge?keep=C000001&other=C999", 404)
    admin.submit("/customers/duplicates/dismiss", {"first": jo, "second": jo}, 400,
                 form_page="/customers/duplicates")
    page = admin.submit(f"/customers/merge?keep={jo}&other={jo}", {}, 400)
    assert "itself" in page.get_data(as_text=True)
    admin.page("/customers/C404", 404)


def test_export_downloads_json_and_erase_needs_the_id_typed(admin, two):
    jo, _ = two
    admin.sign_in("admin")
    response = admin.submit(f"/customers/{jo}/export", {}, 200, form_page=f"/customers/{jo}")
    assert response.headers["Content-Disposition"] == \
        f"attachment; filename=customer-{jo}.json"
    assert json.loads(response.get_data())["customer"]["name"] == "Jo Bloggs"
    admin.submit(f"/customers/{jo}/erase", {"confirm": jo.lower()}, 302)
    page = admin.page(f"/customers/{jo}")
    assert "Erased customer" in page and "Jo Bloggs" not in page
    assert 'data-test="save-customer"' not in page  # nothing more is written about them
    actions = [entry.action for entry in AuditEntry.select().where(AuditEntry.target == jo)]
    assert {"customer.export", "customer.erase"} <= set(actions)


LONG = "x" * 5001
# (path, form, status, what the page says, what it keeps of the form): C000001 and C000002
# are two, C000003 was erased; {ticket} is a ticket of C000001's.
BAD = [
    ("/customers/new", {"name": ""}, 400, 'data-test="error-name">a name is needed', None),
    ("/customers/new", {"name": "N" * 101}, 400, 'data-test="error-name">at most 100',
     "N" * 101),
    ("/customers/new", {"name": "Al", "email": "al@"}, 400, 'data-test="error-email"',
     'value="al@"'),
    ("/customers/new", {"name": "Al", "phone": "12"}, 400, 'data-test="error-phone"',
     'value="12"'),
    ("/customers/new", {"name": "Al", "postcode": "<b>"}, 400, 'data-test="error-postcode"',
     "&lt;b&gt;"),
    ("/customers/new", {"name": "Al", "card": "lc 9009"}, 400,
     'data-test="error-card">card LC9009 is C000002', 'value="lc 9009"'),
    ("/customers/new", {"name": "Al", "card": "#1"}, 400, 'data-test="error-card">4-32', None),
    ("/customers/new", {"name": "Al\x00"}, 400, "NUL character", None),
    ("/customers/C000001/tickets/{ticket}", {"kind": "note", "text": "\x00"}, 400,
     "NUL character", None),
    ("/customers/new", {"name": "Al", "email_marketing": "on"}, 400,
     'data-test="error-email_marketing">email marketing needs an email', 'value="Al"'),
    ("/customers/C000001", {**JO, "sms_marketing": "on", "phone": ""}, 400,
     'data-test="error-sms_marketing"', None),
    ("/customers/C000001", {**JO, "address": "a" * 301}, 400,
     'data-test="error-address">at most 300', "a" * 301),
    ("/customers/C000001", {**JO, "email": "JO@EXAMPLE.COM" * 20}, 400,
     'data-test="error-email">at most 254', None),
    ("/customers/C000003", {**JO}, 400, "was erased", None),
    ("/customers/C000001/interactions", {"kind": "fax", "text": "Hi"}, 400,
     'data-test="error-kind">one of note, call, email', ">Hi</textarea>"),
    ("/customers/C000001/interactions", {"kind": "note", "text": "  "}, 400,
     'data-test="error-text">the text is empty', None),
    ("/customers/C000001/interactions", {"kind": "note", "text": LONG}, 400,
     'data-test="error-text">at most 5000', None),
    ("/customers/C000001/interactions", {"kind": "call", "text": "Hi", "at": "2026-02-30"},
     400, 'data-test="error-at">a date and time', 'value="2026-02-30"'),
    ("/customers/C000001/interactions", {"kind": "call", "text": "Hi",
                                         "at": "2999-01-01 10:00"}, 400,
     'data-test="error-at">that is in the future', None),
    ("/customers/C000001/interactions", {"kind": "call", "text": "Hi",
                                         "at": "0001-01-01T00:00+05:00"}, 400,
     'data-test="error-at"', None),
    ("/customers/C404/interactions", {"kind": "note", "text": "Hi"}, 404, "C404", None),
    ("/customers/C000003/interactions", {"kind": "note", "text": "Hi"}, 409, "erased",
     None),
    ("/customers/C000001/tickets", {"subject": "", "text": "Help"}, 400,
     'data-test="error-subject">the subject is empty', ">Help</textarea>"),
    ("/customers/C000001/tickets", {"subject": "S" * 201, "text": "Help"}, 400,
     'data-test="error-subject">at most 200', "S" * 201),
    ("/customers/C000001/tickets", {"subject": "Card", "text": ""}, 400,
     'data-test="error-text">the request is empty', 'value="Card"'),
    ("/customers/C000001/tickets", {"subject": "Card", "text": "Help", "at": "soon"}, 400,
     'data-test="error-at"', 'value="soon"'),
    ("/customers/C000001/tickets/{ticket}", {"kind": "reply", "text": "", "status": "gone"},
     400, 'data-test="error-status">one of open, waiting, resolved', None),
    ("/customers/C000001/tickets/{ticket}", {"kind": "shout", "text": "Hi"}, 400,
     'data-test="error-kind">reply or note', None),
    ("/customers/C000001/tickets/{ticket}", {"kind": "note", "text": LONG}, 400,
     'data-test="error-text">at most 5000', None),
    ("/customers/C000001/tickets/{ticket}", {"kind": "reply", "text": " "}, 400,
     'data-test="error-text">write a reply', None),
    ("/customers/C000001/tickets/99999", {"kind": "reply", "text": "Hi"}, 404,
     "has no ticket 99999", None),
    ("/customers/C000001/tickets/99999999999999999999999", {"kind": "reply", "text": "Hi"},
     404, "", None),
    ("/customers/C000002/tickets/{ticket}", {"kind": "reply", "text": "Hi"}, 404,
     "C000002 has no ticket", None),
    ("/customers/C000001/erase", {"confirm": "yes"}, 400,
     "Type the customer&#39;s id, C000001, to confirm", None),
    ("/customers/C000001/erase", {}, 400, "to confirm the erasure", None),
    ("/customers/C000003/erase", {"confirm": "C000003"}, 400, "erased already", None),
    ("/customers/C404/erase", {"confirm": "C404"}, 404, "No customer has the id C404", None),
    ("/customers/C404/export", {}, 404, "No customer has the id C404", None),
    ("/customers/merge?keep=C000001&other=C000001", {}, 400, "cannot be merged with itself",
     None),
    ("/customers/merge?keep=C000001&other=C000003", {}, 400, "an erased customer cannot",
     None),
    ("/customers/merge?keep=C000001&other=C404", {}, 404, "Choose two customers", None),
    ("/customers/merge", {}, 404, "Choose two customers", None),
    ("/customers/duplicates/dismiss", {"first": "C000001", "second": "C000001"}, 400,
     "choose two different customers", None),
    ("/customers/duplicates/dismiss", {"first": "C000001", "second": ""}, 404,
     "Choose two customers", None),
]


def written():
    """What the customers' forms could change, to show that a refused one changed nothing."""
    return [sorted(str(row.__data__) for row in model.select())
            for model in (Customer, Interaction, Ticket, TicketEntry, ConsentChange,
                          CustomerAlias, NotDuplicate)]


@pytest.fixture
def crm(admin, two):
    """Two customers, a third erased, a ticket of the first; an admin signed in."""
    with admin.client.application.app_context():
        gone, _ = customers.save_customer("system", {"name": "Gone"})
        customers.erase("system", gone)
        ticket, _ = customers.open_ticket("system", Customer.get(Customer.code == two[0]),
                                          {"subject": "Lost card", "text": "Help"})
    admin.sign_in("admin")
    return ticket.id


@pytest.mark.parametrize("path, data, status, says, keeps", BAD)
def test_bad_input_on_a_customer_form_is_answered_by_its_field(admin, crm, path, data,
                                                               status, says, keeps):
    path = path.format(ticket=crm)
    before = written()
    page = admin.submit(path, data, status, form_page="/customers").get_data(as_text=True)
    assert says in page
    if keeps:
        assert keeps in page
    assert written() == before


@pytest.mark.parametrize("path", [
    "/customers/new", "/customers/C000001", "/customers/C000001/interactions",
    "/customers/C000001/tickets", "/customers/C000001/tickets/{ticket}",
    "/customers/C000001/export", "/customers/C000001/erase",
    "/customers/duplicates/dismiss?first=C000001&second=C000002",
    "/customers/merge?keep=C000001&other=C000002"])
def test_a_customer_form_without_its_csrf_token_is_refused(admin, crm, path):
    before = written()
    admin.forged(path.format(ticket=crm), {"name": "Forged", "kind": "note", "text": "Forged",
                                           "subject": "Forged", "confirm": "C000001"})
    assert written() == before


@pytest.mark.parametrize("query", ["page=99999999999999999999", "page=-3", "page=x"])
def test_a_bad_page_of_the_history_shows_a_page_anyway(admin, crm, query):
    assert 'data-test="no-sales"' in admin.page(f"/customers/C000001?{query}")


@pytest.mark.parametrize("path", ["/customers?q=a%00", "/customers/C%00",
                                  "/customers/C000001/tickets/99999999999999999999"])
def test_a_look_up_no_database_could_answer_is_refused(admin, crm, path):
    admin.page(path, 404 if path.endswith("9") else 400)
