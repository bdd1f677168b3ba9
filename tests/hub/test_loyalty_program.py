"""The loyalty programme on SQLite and PostgreSQL: points by amount, tier multipliers by
what a customer spent before, category bonuses weighted by amount, refunds taking back
their share and never more, expiry of unused old points oldest first; the page's checks
and who may change it."""
import datetime

import pytest

from hub import loyalty, loyalty_program, tenders
from hub.models import CustomerStats, LoyaltyEntry, Product
from tests.hub.test_reports import result, sell


def program(**values):
    fields = {"minor_per_point": "1.00", "expiry_days": "0", **values}
    return loyalty_program.save("mo", fields)


def test_tiers_multiply_and_categories_earn_a_bonus(hub_db):
    Product.create(sku="KALE", name="Kale", category="Organic", tax_class="zero",
                   unit_price=100)
    program(tier0_name="Silver", tier0_min_spent="10.00", tier0_multiplier="1.5",
            bonus0_category="Organic", bonus0_multiplier="2")
    sell(hub_db, 1, 9, customer="C1", result=result(1000, 0, [("WINE", 1, None, 1000)]))
    assert loyalty.balance("C1") == 10  # no tier yet: spent 0 before
    sell(hub_db, 2, 9, customer="C1", result=result(1000, 0, [("WINE", 1, None, 1000)]))
    assert loyalty.balance("C1") == 10 + 15  # Silver now: × 1.5
    # Half organic (× 2), half not: × 1.5 on average, then Silver's × 1.5: 22.5 -> 22.
    sell(hub_db, 3, 9, customer="C1", result=result(1000, 0, [("KALE", 5, None, 500),
                                                             ("WINE", 1, None, 500)]))
    assert loyalty.balance("C1") == 10 + 15 + 22
    assert CustomerStats.get(CustomerStats.customer == "C1").points == 47


def test_refunds_take_back_their_share_never_more(hub_db):
    sell(hub_db, 1, 9, customer="C1", result=result(199, 0, [("WINE", 1, None, 199)]))
    assert loyalty.balance("C1") == 1
    for seq in (2, 3):  # two refunds of 1.00 each: the sale's 1 point, back once at most
        sell(hub_db, seq, 10, customer="C1", kind="refund", original="T01-1",
             result=result(100, 0, [("WINE", 1, None, 100)]))
    assert loyalty.balance("C1") == 1  # 1 × 100 // 199 = 0 each
    sell(hub_db, 4, 10, customer="C1", kind="refund", original="T01-1",
         result=result(199, 0, [("WINE", 1, None, 199)]))
    assert loyalty.balance("C1") == 0


def test_unused_old_points_expire_oldest_first(hub_db):
    program(expiry_days="365")
    for customer, points, at in (("C1", 50, "2025-01-10"), ("C1", 30, "2026-06-01"),
                                 ("C1", -20, "2026-07-01"), ("C2", 10, "2026-11-01")):
        LoyaltyEntry.create(customer=customer, sale=f"{customer}-{at}", store="s",
                            points=points, at=at)
        CustomerStats.insert(customer=customer, points=points).on_conflict(
            conflict_target=[CustomerStats.customer],
            update={CustomerStats.points: CustomerStats.points + points}).execute()
    today = datetime.date(2026, 12, 3)
    assert loyalty_program.expire(hub_db, today) == 30  # 50 old, 20 used: 30 left of them
    assert loyalty.balance("C1") == 30 and loyalty.balance("C2") == 10
    assert CustomerStats.get(CustomerStats.customer == "C1").points == 30
    assert loyalty_program.expire(hub_db, today) == 0  # nothing more to expire


@pytest.mark.parametrize("values, field", [
    ({"minor_per_point": "0"}, "minor_per_point"),
    ({"expiry_days": "forever"}, "expiry_days"),
    ({"tier0_name": "Gold", "tier0_min_spent": "x", "tier0_multiplier": "2"},
     "tier0_min_spent"),
    ({"tier0_name": "Gold", "tier0_min_spent": "10", "tier0_multiplier": "11"},
     "tier0_multiplier"),
    ({"tier0_name": "Gold", "tier0_min_spent": "100", "tier0_multiplier": "2",
      "tier1_name": "Silver", "tier1_min_spent": "10", "tier1_multiplier": "1.5"},
     "tier0_min_spent"),
    ({"bonus0_category": "", "bonus0_multiplier": "2"}, "bonus0_category"),
])
def test_a_bad_programme_is_refused_by_field(hub_db, values, field):
    with pytest.raises(loyalty_program.ProgramError) as refused:
        program(**values)
    assert field in refused.value.fields
    assert loyalty_program.current().tiers == []


def test_marketing_sets_the_programme_and_viewers_do_not_see_it(admin, hub_app):
    admin.sign_in("marketing")
    admin.submit("/loyalty", {"minor_per_point": "1.00", "expiry_days": "x"}, status=400)
    admin.submit("/loyalty", {"minor_per_point": "2.00", "expiry_days": "730",
                              "tier0_name": "Gold", "tier0_min_spent": "500.00",
                              "tier0_multiplier": "2"}, status=302)
    page = admin.page("/loyalty")
    assert 'value="2.00"' in page and "Gold" in page
    assert loyalty_program.current().tiers == [{"name": "Gold", "min_spent": 50000,
                                                "multiplier": "2"}]
    admin.client.post("/sign-out", data={"csrf_token": admin.token("/loyalty")})
    admin.sign_in("store-manager")
    admin.submit("/loyalty", {"minor_per_point": "1.00"}, form_page="/loyalty", status=403)
    admin.client.post("/sign-out", data={"csrf_token": admin.token("/loyalty")})
    admin.sign_in("viewer")
    admin.page("/loyalty", 403)


def test_points_pay_at_a_till_with_the_hubs_approval(hub_db):
    def ask(amount, request_id):
        return tenders.redeem(hub_db, "store-1", "T01", {
            "request": request_id, "tender": "points", "account": "C1", "amount": amount,
            "sale": "sale-1"})

    CustomerStats.create(customer="C1", points=500)
    refused = ask(100, "r0")
    assert (refused["ok"], refused["reason"]) == (False, "unknown")  # not spendable yet
    program(redeem_value="0.02")  # a point pays 0.02
    assert ask(101, "r1")["reason"] == "invalid"  # in steps of 0.02
    approved = ask(600, "r2")
    assert (approved["ok"], approved["balance"]) == (True, 400)  # 300 points spent
    assert ask(600, "r2") == approved  # the same request again: spent once
    assert (ask(500, "r3")["ok"], ask(500, "r3")["reason"]) == (False, "insufficient")
    assert loyalty.balance("C1") == -300  # the ledger: what the entries say since
    assert tenders.release("store-1", "T01", {"request": "r2", "tender": "points",
                                              "account": "C1", "amount": 600,
                                              "sale": "sale-1", "reason": "void"}) == "applied"
    assert CustomerStats.get(CustomerStats.customer == "C1").points == 500


GOLD = {"tier0_name": "Gold", "tier0_min_spent": "100.00", "tier0_multiplier": "2"}
# (form, field, what its error says): each refused on the page with nothing saved.
BAD_FORMS = [
    ({"minor_per_point": ""}, "minor_per_point", "the amount that earns a point: not an"),
    ({"minor_per_point": "0"}, "minor_per_point", "the amount that earns a point: from"),
    ({"minor_per_point": "-1"}, "minor_per_point", "the amount that earns a point: not an"),
    ({"minor_per_point": "20000"}, "minor_per_point", "the amount that earns a point: from"),
    ({"redeem_value": "lots"}, "redeem_value", "what a point pays at a till"),
    ({"redeem_value": "10000.01"}, "redeem_value", "what a point pays at a till"),
    ({"expiry_days": "forever"}, "expiry_days", "days from 0 (never) to 3650"),
    ({"expiry_days": "-1"}, "expiry_days", "days from 0 (never) to 3650"),
    ({"expiry_days": "3651"}, "expiry_days", "days from 0 (never) to 3650"),
    ({"expiry_days": "²"}, "expiry_days", "days from 0 (never) to 3650"),
    ({**GOLD, "tier0_name": ""}, "tier0_name", "1-40 characters"),
    ({**GOLD, "tier0_name": "G" * 41}, "tier0_name", "1-40 characters"),
    ({**GOLD, "tier0_min_spent": "x"}, "tier0_min_spent", "not an amount"),
    ({**GOLD, "tier0_min_spent": "-10"}, "tier0_min_spent", "not an amount"),
    ({**GOLD, "tier0_min_spent": "999999999999999999"}, "tier0_min_spent",
     "at most 10000000000.00"),
    ({**GOLD, "tier0_multiplier": "0.5"}, "tier0_multiplier", "a multiplier from 1 to 10"),
    ({**GOLD, "tier0_multiplier": "x"}, "tier0_multiplier", "a multiplier from 1 to 10"),
    ({**GOLD, "tier1_name": "gold", "tier1_min_spent": "200", "tier1_multiplier": "3"},
     "tier1_name", "another tier is named gold"),
    ({**GOLD, "tier1_name": "Silver", "tier1_min_spent": "10", "tier1_multiplier": "1.5"},
     "tier0_min_spent", "tiers go up"),
    ({**GOLD, "tier1_name": "Silver", "tier1_min_spent": "100", "tier1_multiplier": "1"},
     "tier0_min_spent", "tiers go up"),
    ({"tier2_multiplier": "2"}, "tier2_name", "1-40 characters"),
    ({"bonus0_category": "Dairy", "bonus0_multiplier": ""}, "bonus0_multiplier",
     "a multiplier from 1 to 10"),
    ({"bonus0_category": "Nowhere", "bonus0_multiplier": "2"}, "bonus0_category",
     "no product has the category Nowhere"),
    ({"bonus0_category": "Dairy", "bonus0_multiplier": "2", "bonus1_category": "Dairy",
      "bonus1_multiplier": "3"}, "bonus1_category", "Dairy has a bonus above"),
    ({"bonus0_category": "D" * 101, "bonus0_multiplier": "2"}, "bonus0_category",
     "a product category"),
]


@pytest.mark.parametrize("values, field, message", BAD_FORMS)
def test_a_bad_programme_form_is_answered_by_its_field_and_saves_nothing(
        admin, hub_app, values, field, message):
    Product.create(sku="MILK", name="Milk", category="Dairy", tax_class="zero",
                   unit_price=100)
    admin.sign_in("marketing")
    before = loyalty_program.current().__data__
    form = {"minor_per_point": "1.00", "expiry_days": "0", **values}
    page = admin.submit("/loyalty", form, 400).get_data(as_text=True)
    assert f'data-test="error-{field}">{message}' in page
    for name, value in form.items():
        assert f'value="{value}"' in page, name
    assert loyalty_program.current().__data__ == before


def test_a_programme_form_without_its_csrf_token_is_refused(admin, hub_app):
    admin.sign_in("marketing")
    before = loyalty_program.current().__data__
    admin.forged("/loyalty", {"minor_per_point": "5.00"})
    assert loyalty_program.current().__data__ == before
