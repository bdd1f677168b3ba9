"""A reproducible day of grocery baskets, as pricing requests (contract: docs/pricing.md).

The benchmark needs realistic load: a 2,000-SKU catalog, 40 overlapping promotions of every
kind the engine knows, and baskets sized like a supermarket's (mostly small, a few huge),
priced under the store configurations Tilly ships (US sales tax and EU VAT, each rounding
mode). Everything comes from one random.Random(seed), so a seed names a workload.

    .venv/bin/python bench/workload.py --seed 1 --baskets 500 > workload.json
"""
import argparse
import itertools
import json
import random
import sys

CATEGORIES = 40
SKUS = 2000
BRANDS = 320

# Categories whose goods are taxed at the food rate; a few more are tax-free.
FOOD_CATEGORIES = range(0, 22)
ZERO_CATEGORIES = range(22, 25)

# Price bands in cents: (low, high, weight).
PRICE_BANDS = [(39, 499, 50), (500, 1999, 35), (2000, 9999, 15)]

TAX_CLASSES = {
    # A US city: state and city sales tax added on top, groceries at a reduced state rate.
    "exclusive": {
        "std": [{"id": "state", "rate": "4"}, {"id": "city", "rate": "4.875"}],
        "food": [{"id": "state", "rate": "1.5"}],
        "zero": [],
    },
    # A euro-area store: VAT included in prices, a reduced rate for food, some zero-rated goods.
    "inclusive": {
        "std": [{"id": "vat", "rate": "25.5"}],
        "food": [{"id": "vat_reduced", "rate": "14"}],
        "zero": [],
    },
}
# US stores take exact change; euro-area stores round cash to 0.05.
CASH_INCREMENT = {"exclusive": 1, "inclusive": 5}

COUPON = "SAVE5"


def _catalog(rng):
    """The store's items: category and (usually) brand tags, prices, member prices, scales."""
    items = []
    for n in range(SKUS):
        category = rng.randrange(CATEGORIES)
        low, high, _ = rng.choices(PRICE_BANDS, [band[2] for band in PRICE_BANDS])[0]
        price = rng.randint(low // 10, high // 10) * 10 + 9
        tags = [f"cat:{category:02d}"]
        if rng.random() < 0.75:
            tags.append(f"brand:{rng.randrange(BRANDS):03d}")
        item = {
            "sku": f"{400000 + n * 7:06d}",
            "unit_price": price,
            "tax_class": "food" if category in FOOD_CATEGORIES
            else "zero" if category in ZERO_CATEGORIES else "std",
            "tags": tags,
            "weighed": category in FOOD_CATEGORIES and rng.random() < 0.09,
        }
        if rng.random() < 0.15:
            item["member_price"] = price - max(10, price * rng.randint(5, 20) // 100)
        items.append(item)
    return items


def _promotions(rng, items):
    """40 active promotions of every type, drawing on the same items so that they overlap."""
    counted = [item for item in items if not item["weighed"]]
    price = {item["sku"]: item["unit_price"] for item in items}
    brands = {}
    for item in counted:
        for tag in item["tags"][1:]:
            brands.setdefault(tag, []).append(item["sku"])
    narrow_brands = sorted(tag for tag, skus in brands.items() if 2 <= len(skus) <= 8)
    ids = (f"P{n:03d}" for n in itertools.count(1))

    def skus(low, high):
        return sorted(item["sku"] for item in rng.sample(counted, rng.randint(low, high)))

    promos = []
    for category in rng.sample(range(CATEGORIES), 9):
        promos.append({"id": next(ids), "type": "percent_off", "tags": [f"cat:{category:02d}"],
                       "percent": rng.choice(["5", "7.5", "10", "15", "20"])})
    for n in range(6):
        promos.append({"id": next(ids), "type": "percent_off", "skus": skus(10, 30),
                       "percent": rng.choice(["10", "20", "25", "33.3333"]),
                       "member_only": n < 2})
    for _ in range(10):
        group, qty = skus(2, 6), rng.randint(2, 4)
        usual = sum(price[sku] for sku in group) * qty // len(group)
        promos.append({"id": next(ids), "type": "mix_match", "skus": group, "qty": qty,
                       "price": usual * rng.choice([70, 75, 80, 90]) // 100})
    for tag in rng.sample(narrow_brands, 3):
        promos.append({"id": next(ids), "type": "mix_match", "tags": [tag],
                       "qty": rng.randint(2, 3), "price": rng.randrange(500, 3000, 50)})
    for _ in range(5):
        promos.append({"id": next(ids), "type": "buy_x_get_y", "skus": skus(3, 8),
                       "buy": rng.randint(1, 3), "get": 1, "percent": rng.choice(["50", "100"])})
    for _ in range(2):
        promos.append({"id": next(ids), "type": "buy_x_get_y", "skus": skus(4, 8), "buy": 2,
                       "get": 1, "percent": "100", "reward_skus": skus(2, 5)})
    promos.append({"id": next(ids), "type": "buy_x_get_y", "tags": [rng.choice(narrow_brands)],
                   "buy": 1, "get": 1, "percent": "50", "reward_tags": [rng.choice(narrow_brands)]})
    promos += [
        {"id": next(ids), "type": "threshold", "min_subtotal": 4000, "amount_off": 200},
        {"id": next(ids), "type": "threshold", "min_subtotal": 8000, "amount_off": 500},
        {"id": next(ids), "type": "threshold", "min_subtotal": 15000, "percent": "5",
         "member_only": True},
        {"id": next(ids), "type": "threshold", "min_subtotal": 2500, "amount_off": 500,
         "coupon": COUPON},
    ]
    return promos


def _stores(promotions):
    """One configuration per tax mode, tax rounding and rounding: the bench's distinct Engines."""
    return [
        {"tax_mode": mode, "tax_rounding": tax_rounding, "rounding": rounding,
         "cash_increment": CASH_INCREMENT[mode], "tax_classes": TAX_CLASSES[mode],
         "promotions": promotions}
        for mode in ("exclusive", "inclusive")
        for tax_rounding in ("line", "total")
        for rounding in ("half_up", "half_even")
    ]


def _basket(rng, items, promoted):
    """One shopper: mostly a handful of lines, about a third of them on offer."""
    size = min(150, 1 + int(rng.expovariate(1 / 17.5)))
    lines = []
    for n in range(1, size + 1):
        item = rng.choice(promoted if rng.random() < 0.35 else items)
        line = {"line": n, "sku": item["sku"], "unit_price": item["unit_price"],
                "tax_class": item["tax_class"], "tags": item["tags"]}
        if "member_price" in item:
            line["member_price"] = item["member_price"]
        if item["weighed"]:
            line["weight_g"] = rng.randint(60, 3000)
        else:
            line["qty"] = rng.choices(range(1, 7), [62, 20, 8, 5, 2, 3])[0]
        lines.append(line)
    customer = None if rng.random() < 0.2 else {"member": rng.random() < 0.4}
    coupons = [COUPON] if rng.random() < 0.06 else []
    return {"customer": customer, "coupons": coupons, "lines": lines}


def generate(seed: int, baskets: int) -> list[dict]:
    """Return `baskets` full requests (store configuration and basket in one dict)."""
    rng = random.Random(seed)
    items = _catalog(rng)
    promotions = _promotions(rng, items)
    stores = _stores(promotions)
    on_offer = {sku for promo in promotions
                for sku in promo.get("skus", []) + promo.get("reward_skus", [])}
    on_offer |= {tag for promo in promotions
                 for tag in promo.get("tags", []) + promo.get("reward_tags", [])
                 if tag.startswith("brand:")}
    promoted = [item for item in items
                if item["sku"] in on_offer or not on_offer.isdisjoint(item["tags"])]
    return [{**rng.choice(stores), **_basket(rng, items, promoted)} for _ in range(baskets)]


def store_wide(lines, qty):
    """A hostile basket: distinct SKUs all under one tag and three overlapping multi-unit
    promotions, so every unit lands in one component too big to search to the end."""
    return {
        "tax_mode": "exclusive", "tax_rounding": "line",
        "tax_classes": {"t": [{"id": "x", "rate": "5"}]},
        "lines": [{"line": n, "sku": f"S{n}", "unit_price": 100 + 7 * n, "tax_class": "t",
                   "qty": qty, "tags": ["all"]} for n in range(lines)],
        "promotions": [
            {"id": "M3", "type": "mix_match", "tags": ["all"], "qty": 3, "price": 300},
            {"id": "M2", "type": "mix_match", "tags": ["all"], "qty": 2, "price": 250},
            {"id": "B", "type": "buy_x_get_y", "tags": ["all"], "buy": 2, "get": 1,
             "percent": "100"},
            {"id": "P", "type": "percent_off", "tags": ["all"], "percent": "10"},
        ],
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--baskets", type=int, default=500)
    args = parser.parse_args()
    json.dump(generate(args.seed, args.baskets), sys.stdout, separators=(",", ":"))
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
