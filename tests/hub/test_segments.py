"""Segments on SQLite and PostgreSQL: RFM scores as quintiles with their segments, rules
on spend, visits, recency, categories and stores (from the sales, through the reports),
live counts, clear refusals, and the pages as each role may use them."""
import datetime

import pytest

from hub import reports, segments
from hub.customers import import_customers, save_customer
from hub.models import CustomerStats, LoyaltyProgram, Product, RfmScore, Segment, Store
from hub.reports import refresh
from tests.hub.test_reports import result, sell

TODAY = datetime.date(2026, 12, 3)


def customer(number, visits, spent, last):
    CustomerStats.create(customer=f"C{number:02d}", visits=visits, spent=spent,
                         last_purchase=last, first_purchase="2025-01-01")


def test_rfm_scores_are_quintiles_and_make_segments(hub_db):
    for number in range(10):  # C09: most recent, most visits, most spent
        customer(number, number + 1, 1000 * (number + 1), f"2026-{number + 1:02d}-15")
    CustomerStats.create(customer="NEVER", visits=0, spent=0)  # no purchase: not scored
    assert segments.recompute(hub_db) == 10
    scores = {score.customer: (score.recency, score.frequency, score.monetary, score.label)
              for score in RfmScore.select()}
    assert scores["C09"] == (5, 5, 5, "champions")
    assert scores["C00"] == (1, 1, 1, "lost")
    assert scores["C04"] == (3, 3, 3, "needs_attention")
    assert sum(count for _, count in segments.rfm_summary()) == 10
    assert segments.recompute(hub_db) == 10  # again: replaced, not added


def test_rules_select_by_spend_visits_recency_category_and_store(hub_db):
    Product.create(sku="MILK", name="Milk", category="Dairy", tax_class="zero",
                   unit_price=100)
    sell(hub_db, 1, 9, customer="C01", result=result(500, 0, [("MILK", 5, None, 500)]))
    sell(hub_db, 2, 9, customer="C02", result=result(800, 0, [("WINE", 1, None, 800)]))
    sell(hub_db, 3, 9, customer="C02", result=result(800, 0, [("WINE", 1, None, 800)]))
    sell(hub_db, 4, 10, customer="C01", kind="refund",
         result=result(500, 0, [("MILK", 5, None, 500)]))
    refresh(hub_db)
    assert segments.count({"category": "Dairy"}) == 0  # bought, then all returned
    assert segments.count({"store": "store-1"}) == 1  # C01 returned all they bought
    assert segments.count({"min_visits": 2}) == 1
    assert segments.count({"min_spent": 1000, "store": "store-1"}) == 1
    assert segments.count({"active_days": 30}, today=datetime.date(2026, 12, 1)) == 2
    assert segments.count({"lapsed_days": 30}, today=datetime.date(2026, 12, 30)) == 2
    assert segments.count({"max_spent": 0}) == 1  # C01: net of the refund
    segments.recompute(hub_db)
    label = RfmScore.get(RfmScore.customer == "C02").label
    assert segments.count({"rfm": label}) >= 1


def test_customers_who_never_bought_are_found_by_rules_they_meet(hub_db):
    """A welcome campaign's segment: signed up, nothing bought yet. They count in no
    report figure and get no RFM score."""
    sell(hub_db, 1, 9, customer="C0001", result=result(500, 0, [("MILK", 5, None, 500)]))
    new, errors = save_customer("mo", {"name": "Nova Newcomer", "email": "nova@example.com"})
    assert errors is None
    imported = import_customers([{"id": "C0900", "name": "Ivo Imported"}], "mo")
    assert imported == 1
    assert sorted(stats.customer for stats in segments.members({"max_visits": 0})) == sorted(
        ["C0900", new.code])
    assert segments.count({"max_spent": 0}) == 2
    assert segments.count({"lapsed_days": 30}, today=datetime.date(2027, 1, 1)) == 1
    assert segments.count({}) == 3
    assert segments.recompute(hub_db) == 1
    assert reports.customers(TODAY)["customers"] == 1


@pytest.mark.parametrize("values, field, message", [
    ({"min_spent": "lots"}, "min_spent", "not an amount"),
    ({"min_visits": "-1"}, "min_visits", "a whole number"),
    ({"min_visits": "5", "max_visits": "2"}, "max_visits", "not below the minimum"),
    ({"rfm": "heroes"}, "rfm", "one of"),
    ({"category": "x" * 101}, "category", "at most 100"),
])
def test_bad_rules_are_refused_by_field(hub_db, values, field, message):
    with pytest.raises(segments.SegmentError) as refused:
        segments.save("mo", "Big spenders", values)
    assert message in refused.value.fields[field]
    assert Segment.select().count() == 0


def test_a_tier_rule_selects_by_what_the_programme_says_now(hub_db):
    for number, spent in enumerate((0, 4999, 5000, 19999, 20000, 90000)):
        customer(number, 1, spent, "2026-11-01")
    with pytest.raises(segments.SegmentError, match="no tiers"):
        segments.check({"tier": "Gold"})
    LoyaltyProgram.update(tiers=[{"name": "Silver", "min_spent": 5000, "multiplier": "1.5"},
                                 {"name": "Gold", "min_spent": 20000, "multiplier": "2"}]
                          ).execute()
    assert segments.check({"tier": "Silver"}) == {"tier": "Silver"}
    with pytest.raises(segments.SegmentError, match="one of Silver, Gold"):
        segments.check({"tier": "Bronze"})
    assert segments.count({"tier": "Silver"}) == 2
    assert segments.count({"tier": "Gold"}) == 2
    assert segments.count({"tier": "Gold", "min_spent": 50000}) == 1
    LoyaltyProgram.update(tiers=[{"name": "Silver", "min_spent": 10000,
                                  "multiplier": "1.5"}]).execute()
    assert segments.count({"tier": "Silver"}) == 3  # no Gold above it now
    assert segments.count({"tier": "Gold"}) == 0  # a tier no longer in the programme


def test_marketing_builds_a_segment_with_a_live_count(admin, hub_app):
    for number in range(3):
        customer(number, number + 1, 5000 * number, "2026-11-30")
    admin.sign_in("marketing")
    page = admin.page("/segments")
    assert 'data-test="segment-form"' in page
    counted = admin.submit("/segments/count", {"min_spent": "50.00"},
                           form_page="/segments").get_data(as_text=True)
    assert 'data-test="live-count">2<' in counted
    assert "not an amount" in admin.submit("/segments/count", {"min_spent": "x"},
                                           form_page="/segments").get_data(as_text=True)
    admin.submit("/segments", {"name": "", "min_spent": "x"}, status=400)
    response = admin.submit("/segments", {"name": "Big spenders", "min_spent": "50.00"},
                            status=302)
    segment = Segment.get(Segment.name == "Big spenders")
    assert response.location.endswith(f"/segments/{segment.id}")
    assert 'data-test="segment-count">2<' in admin.page("/segments")
    members = admin.client.get(f"/segments/{segment.id}/members.csv").get_data(as_text=True)
    assert members.splitlines()[1:] == ["C01,2,5000,2026-11-30,", "C02,3,10000,2026-11-30,"]
    admin.submit("/segments/rfm", {}, form_page="/segments", status=302)
    assert RfmScore.select().count() == 3


def test_store_managers_look_and_viewers_see_no_segments(admin, hub_app):
    admin.sign_in("store-manager")
    admin.page("/segments")
    admin.submit("/segments", {"name": "Mine"}, form_page="/segments", status=403)
    admin.submit("/segments/rfm", {}, form_page="/segments", status=403)
    admin.client.post("/sign-out", data={"csrf_token": admin.token("/segments")})
    admin.sign_in("viewer")
    admin.page("/segments", 403)


# (form, field, what its error says): each refused on the page with nothing saved.
BAD_FORMS = [
    ({"name": ""}, "name", "1-100 characters"),
    ({"name": "N" * 101}, "name", "1-100 characters"),
    ({"name": "Taken"}, "name", "Taken is taken by another segment"),
    ({"min_spent": "lots"}, "min_spent", "not an amount"),
    ({"min_spent": "-5.00"}, "min_spent", "not an amount"),
    ({"max_spent": "1.005"}, "max_spent", "not an amount"),
    ({"min_spent": "999999999999999999"}, "min_spent", "at most 10000000000.00"),
    ({"min_spent": "50", "max_spent": "10"}, "max_spent", "not below the minimum"),
    ({"min_visits": "-1"}, "min_visits", "a whole number from 0"),
    ({"max_visits": "2.5"}, "max_visits", "a whole number from 0"),
    ({"active_days": "²"}, "active_days", "a whole number from 0"),
    ({"lapsed_days": "100001"}, "lapsed_days", "a whole number from 0"),
    ({"rfm": "heroes"}, "rfm", "one of at_risk"),
    ({"category": "Nowhere"}, "category", "no category Nowhere in the catalog"),
    ({"category": "c" * 101}, "category", "at most 100 characters"),
    ({"store": "store-9"}, "store", "no store store-9 in the catalog, stores or sales"),
]


@pytest.fixture
def known(hub_app):
    """Segments named Other (it is returned) and Taken; store-1 and the category Dairy
    known."""
    Store.create(code="store-1", name="One")
    Product.create(sku="MILK", name="Milk", category="Dairy", tax_class="zero",
                   unit_price=100)
    segments.save("mo", "Taken", {})
    return segments.save("mo", "Other", {})


@pytest.mark.parametrize("values, field, message", BAD_FORMS)
@pytest.mark.parametrize("path", ["/segments", "/segments/{id}"])
def test_a_bad_segment_form_is_answered_by_its_field_and_saves_nothing(
        admin, known, path, values, field, message):
    admin.sign_in("marketing")
    path = path.format(id=known.id)
    form = {"name": "Fresh", **values}
    page = admin.submit(path, form, 400).get_data(as_text=True)
    assert f'data-test="error-{field}">{message}' in page
    for name, value in form.items():
        if name not in ("rfm", "store"):  # (lists: the choice is kept by its option)
            assert f'value="{value}"' in page, name
    assert [(segment.name, segment.rules) for segment in Segment.select().order_by(
        Segment.name)] == [("Other", {}), ("Taken", {})]
    counted = admin.submit("/segments/count", form, 200, form_page="/segments")
    assert f"{field}: {message}" in counted.get_data(as_text=True) or field == "name"


def test_known_categories_and_stores_make_rules(admin, known):
    admin.sign_in("marketing")
    admin.submit("/segments", {"name": "Dairy at one", "category": "Dairy",
                               "store": "store-1", "rfm": "loyal"}, 302)
    assert Segment.get(Segment.name == "Dairy at one").rules == {
        "category": "Dairy", "store": "store-1", "rfm": "loyal"}


@pytest.mark.parametrize("path, status", [
    ("/segments/404", 404), ("/segments/99999999999999999999", 404),
    ("/segments/404/members.csv", 404), ("/segments/-1", 404)])
def test_an_unknown_segment_is_not_found(admin, known, path, status):
    admin.sign_in("marketing")
    admin.page(path, status)


@pytest.mark.parametrize("path", ["/segments", "/segments/count", "/segments/rfm"])
def test_a_segment_form_without_its_csrf_token_is_refused(admin, known, path):
    admin.sign_in("marketing")
    admin.forged(path, {"name": "Forged"})
    assert Segment.select().count() == 2
