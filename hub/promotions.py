"""Promotions as admins write them: checked field by field, then by the pricing engine
itself (so the tills are never sent one they would refuse), and previewed by pricing a
sample basket with the engine the store's tills would build.

A form's values are text as people type them: amounts in the currency's decimals, lists
separated by ``|``, times in UTC (``2026-12-24T18:00``).
"""
import datetime
import re

from shared import coupons, pricing
from shared.money import format_money, parse_money
from shared.sale_pricing import basket_line, engine_basket
from shared.times import now
from shared.whole_numbers import whole_number

from .accounts import audit
from .models import Campaign, Product, Promotion, Store, StorePrice
from .stores import contract_promotion, tax_classes

TYPES = {"percent_off": "Percent off", "mix_match": "Mix and match (n for a price)",
         "buy_x_get_y": "Buy x, get y", "threshold": "Spend and save (basket)"}
# The contract's fields of each type, as a form names them: (field, kind).
FIELDS = {
    "percent_off": (("percent", "percent"),),
    "mix_match": (("qty", "count"), ("price", "money")),
    "buy_x_get_y": (("buy", "count"), ("get", "count"), ("percent", "percent"),
                    ("reward_skus", "list"), ("reward_tags", "list")),
    "threshold": (("min_subtotal", "money"), ("amount_off", "money"), ("percent", "percent")),
}
SELECTOR = (("skus", "list"), ("tags", "list"))
FORM_FIELDS = ("code", "name", "type", "stores", "starts_at", "ends_at", "skus", "tags",
               "member_only", "coupon", "percent", "qty", "price", "buy", "get",
               "reward_skus", "reward_tags", "min_subtotal", "amount_off")
_CODE = re.compile(r"[A-Za-z0-9._-]{1,32}")
_ENGINE_FIELD = re.compile(r"promotions\[0\]\.?(\w*)")
# The pricing set-up a lone promotion is checked in: the contract's required fields only.
_CHECK_CONFIG = {"tax_mode": "inclusive", "tax_rounding": "total", "tax_classes": {}}


def _split(text):
    return [part.strip() for part in (text or "").split("|") if part.strip()]


def _time(text, field, errors):
    text = (text or "").strip()
    if not text:
        return None
    try:
        moment = datetime.datetime.fromisoformat(text)
    except ValueError:
        errors[field] = "a date and time in UTC, e.g. 2026-12-24T18:00"
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(datetime.UTC).replace(tzinfo=None)
    return moment


def _value(kind, text, exponent):
    """A form value as the contract's; ValueError with the reason."""
    if kind == "list":
        return _split(text)
    if kind == "money":
        return parse_money(text, exponent)
    if kind == "count":
        number = whole_number(text, 10**6)
        if number is None:
            raise ValueError("a whole number up to 1000000, e.g. 3")
        return number
    return text  # a percent, checked by the engine as the contract writes it


def check(values, exponent=2):
    """(fields of a Promotion, None) or (None, {field: message}) from form ``values``."""
    errors = {}
    code = (values.get("code") or "").strip()
    if not _CODE.fullmatch(code):
        errors["code"] = "1-32 characters A-Z a-z 0-9 . _ -"
    name = (values.get("name") or "").strip()
    if not 1 <= len(name) <= 100:
        errors["name"] = "1-100 characters: the receipt and the till's screen show it"
    kind = values.get("type") or ""
    if kind not in TYPES:
        errors["type"] = f"one of {', '.join(TYPES)}"
        return None, errors
    rule = {}
    fields = (*SELECTOR, *FIELDS[kind]) if kind != "threshold" else FIELDS[kind]
    for field, field_kind in fields:
        text = (values.get(field) or "").strip()
        if not text:
            continue
        try:
            value = _value(field_kind, text, exponent)
        except ValueError as exc:
            errors[field] = str(exc)
            continue
        if value != []:
            rule[field] = value
    if kind != "threshold" and not (rule.get("skus") or rule.get("tags")):
        errors["skus"] = "name the products it is for: SKUs, tags or both"
    if values.get("member_only") in ("on", "true", "1", True):
        rule["member_only"] = True
    coupon = (values.get("coupon") or "").strip().upper()  # tills read codes upper case
    problem = _coupon_problem(code, coupon)
    if problem:
        errors["coupon"] = problem
    elif coupon:
        rule["coupon"] = coupon
    starts_at = _time(values.get("starts_at"), "starts_at", errors)
    ends_at = _time(values.get("ends_at"), "ends_at", errors)
    if starts_at and ends_at and ends_at <= starts_at:
        errors["ends_at"] = "after the start"
    known = {store.code for store in Store.select(Store.code)}
    stores = _split(values.get("stores"))
    unknown = [code for code in stores if code not in known]
    if unknown:
        errors["stores"] = f"unknown store {', '.join(unknown)}; known: " \
                           f"{', '.join(sorted(known)) or 'none yet'}"
    if not errors:
        try:
            pricing.Engine({**_CHECK_CONFIG, "promotions": [
                {"id": code, "name": name, "type": kind, **rule}]})
        except pricing.PricingError as exc:
            field = _ENGINE_FIELD.match(str(exc))
            message = str(exc).split(": ", 1)[-1]
            errors[field.group(1) if field and field.group(1) in FORM_FIELDS else "type"] = \
                message
    if errors:
        return None, errors
    return {"code": code, "name": name, "type": kind, "rule": rule, "stores": stores,
            "starts_at": starts_at, "ends_at": ends_at}, None


def _coupon_problem(code, coupon):
    """Why promotion ``code`` may not have ``coupon``: a campaign's offer keeps its
    campaign's prefix; no other promotion takes a prefix, nor a code a campaign's could be
    taken for (``shared/coupons.py``)."""
    own = (Campaign.select().join(Promotion).where(Promotion.code == code).first()
           if code else None)
    if own is not None:
        return None if coupon == own.prefix else \
            f"the offer of campaign {own.name}: its coupon stays {own.prefix}"
    if not coupon:
        return None
    if len(coupon) > 40 or not coupon.isprintable():
        return "at most 40 printable characters"
    if coupons.is_campaign_shaped(coupon):
        return "shaped like a campaign's unique code: choose another"
    other = Campaign.get_or_none(Campaign.prefix == coupon)
    return f"the prefix of campaign {other.name}" if other else None


def save(by, values, promotion=None, exponent=2):
    """Create or update a promotion from form values: (Promotion, None) or (None, errors).
    A promotion's code does not change once made."""
    if promotion is not None:
        values = {**values, "code": promotion.code}
    fields, errors = check(values, exponent)
    if errors:
        return None, errors
    if promotion is None and Promotion.get_or_none(Promotion.code == fields["code"]):
        return None, {"code": f"{fields['code']} is taken by another promotion"}
    with Promotion._meta.database.atomic():
        before = form_values(promotion, exponent) if promotion else {}
        promotion = promotion or Promotion()
        for name, value in fields.items():
            setattr(promotion, name, value)
        promotion.updated_at = now()
        promotion.save()
        after = form_values(promotion, exponent)
        audit(by, "promotion.update" if before else "promotion.create", promotion.code,
              {name: [before.get(name), value] for name, value in after.items()
               if before.get(name) != value})
    return promotion, None


def delete(by, promotion):
    """Delete a promotion; ValueError when a campaign offers it."""
    campaign = Campaign.get_or_none(Campaign.promotion == promotion)
    if campaign is not None:
        raise ValueError(f"{promotion.code} is the offer of campaign {campaign.name}")
    with Promotion._meta.database.atomic():
        promotion.delete_instance()
        audit(by, "promotion.delete", promotion.code, {})


def form_values(promotion, exponent=2):
    """A promotion as its form shows it."""
    values = {"code": promotion.code, "name": promotion.name, "type": promotion.type,
              "stores": "|".join(promotion.stores),
              "starts_at": _when(promotion.starts_at), "ends_at": _when(promotion.ends_at),
              "member_only": bool(promotion.rule.get("member_only")),
              "coupon": promotion.rule.get("coupon", "")}
    for field, kind in (*SELECTOR, *FIELDS[promotion.type]):
        value = promotion.rule.get(field)
        if value is None:
            values[field] = ""
        elif kind == "list":
            values[field] = "|".join(value)
        elif kind == "money":
            values[field] = format_money(value, exponent)
        else:
            values[field] = str(value)
    return values


def _when(moment):
    return moment.isoformat(timespec="minutes") if moment else ""


def status(promotion, at=None):
    """"scheduled", "running" or "ended", on the hub's clock."""
    at = at or now()
    if promotion.starts_at and at < promotion.starts_at:
        return "scheduled"
    if promotion.ends_at and at >= promotion.ends_at:
        return "ended"
    return "running"


def preview(promotion, store, basket_text, member=False, coupons=()):
    """Price a sample basket in ``store`` with its pricing set-up and this promotion alone:
    (the engine's result with each line's product, None) or (None, the reason).
    ``basket_text``: one ``SKU`` or ``SKU x QTY`` (``SKU x 450g`` for a weighed product)
    per line."""
    lines = []
    for number, raw in enumerate(basket_text.splitlines(), 1):
        raw = raw.strip()
        if not raw:
            continue
        sku, _, amount = (part.strip() for part in raw.partition(" x "))
        product = Product.get_or_none(Product.sku == sku)
        if product is None:
            return None, f"line {number}: no product has the SKU {sku}"
        own = StorePrice.get_or_none(store=store, product=product)
        unit_price, member_price = (own.unit_price, own.member_price) if own else \
            (product.unit_price, product.member_price)
        amount = amount.lower() or ("1000g" if product.sold_by == "weight" else "1")
        number_text = amount.removesuffix("g")
        if whole_number(number_text, 10**6, least=1) is None:
            return None, f"line {number}: {amount!r} is not a quantity (e.g. 3, or 450g)"
        weighed = product.sold_by == "weight"
        if weighed != amount.endswith("g"):
            return None, f"line {number}: {sku} is sold by " + \
                ("weight: give grams, e.g. 450g" if weighed else "the unit: give a count")
        lines.append(basket_line(number, sku, product.tax_class, unit_price, product.tags,
                                 qty=None if weighed else int(number_text),
                                 weight_g=int(number_text) if weighed else None,
                                 member_price=member_price))
    if not lines:
        return None, "the sample basket is empty: one SKU per line, e.g. 4006381333931 x 3"
    config = {**store.pricing, "tax_classes": tax_classes(),
              "promotions": [contract_promotion(promotion)]}
    try:
        result = pricing.Engine(config).price(engine_basket(lines, member, coupons))
    except pricing.PricingError as exc:
        return None, f"the engine cannot price it: {exc}"
    names = {line["line"]: Product.get(Product.sku == line["sku"]).name for line in lines}
    for line in result["lines"]:
        line["name"] = names[line["line"]]
    return result, None
