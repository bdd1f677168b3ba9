"""The stores the hub serves, and the catalog each one's tills are sent.

A store's catalog is built from the hub's own: the store's header and pricing set-up, the
tax classes, every active product at the store's own prices where it has them, and the
promotions running for it when it is built. ``publish`` keeps that as the store's next
catalog version (``catalog_versions.publish``), which the catalog server sends to the
tills. A store file (the tills' format, e.g. the demo's sample store) is imported into the
hub's catalog first, so the hub keeps one catalog and the tills get what admins edit.

Promotions start and end on the hub's clock: a store's catalog is built again when one of
its promotions starts or ends (``publish_scheduled``, run by the catalog server), so a
till sells with what was running when it last heard from the hub.
"""
import csv
import io
import re

from peewee import fn

from shared.money import format_money, parse_money
from shared.protocol.topics import check_store
from shared.times import now
from shared.whole_numbers import whole_number

from . import catalog_versions, recommendations
from .accounts import audit
from .customers import CustomerError, import_customers, till_customers
from .models import (
    Barcode,
    Campaign,
    Customer,
    Product,
    Promotion,
    Store,
    StorePrice,
    TaxClass,
    TaxRate,
)
from .products import COLUMNS, import_products

PRICING_KEYS = ("tax_mode", "tax_rounding", "rounding", "cash_increment")
# A store file's parts that are not the catalog's own sections (its customers go to the
# hub's Customer table, which every store's tills get theirs from).
CATALOG_KEYS = ("format", "store", "pricing", "products", "customers")


class StoreFileError(ValueError):
    """A store file the hub cannot take in; the text says why."""


def exponent_of(store):
    return store.details.get("currency", {}).get("exponent", 2)


def running(promotion, store_code, at):
    """Whether ``promotion`` applies in the store at the moment ``at``."""
    return ((not promotion.stores or store_code in promotion.stores)
            and (promotion.starts_at is None or promotion.starts_at <= at)
            and (promotion.ends_at is None or at < promotion.ends_at))


def contract_promotion(promotion):
    """A Promotion as the pricing contract writes it."""
    return {"id": promotion.code, "name": promotion.name, "type": promotion.type,
            **promotion.rule}


def tax_classes():
    """The tax classes as the pricing contract writes them: class -> its rates."""
    classes = {tax.code: [] for tax in TaxClass.select().order_by(TaxClass.code)}
    for rate in (TaxRate.select(TaxRate, TaxClass).join(TaxClass)
                 .order_by(TaxClass.code, TaxRate.id)):
        classes[rate.tax_class.code].append(
            {"id": rate.code, "rate": rate.rate, "name": rate.name})
    return classes


def build_snapshot(store, at=None):
    """The store's catalog at the moment ``at`` (now), in the tills' store-file format."""
    at = at or now()
    codes = {}
    for product_id, code in Barcode.select(Barcode.product, Barcode.code).order_by(
            Barcode.code).tuples():
        codes.setdefault(product_id, []).append(code)
    own = {product_id: (unit, member) for product_id, unit, member in StorePrice.select(
        StorePrice.product, StorePrice.unit_price, StorePrice.member_price).where(
        StorePrice.store == store).tuples()}
    products = []
    for product in Product.select().where(Product.active).order_by(Product.sku):
        unit_price, member_price = own.get(product.id,
                                           (product.unit_price, product.member_price))
        entry = {"sku": product.sku, "name": product.name,
                 "barcodes": codes.get(product.id, []), "unit_price": unit_price,
                 "tax_class": product.tax_class, "tags": list(product.tags),
                 "department": product.category, "sold_by": product.sold_by}
        if member_price is not None:
            entry["member_price"] = member_price
        if product.rcn_item:
            entry["rcn_item"] = product.rcn_item
        products.append(entry)
    promotions = [contract_promotion(promotion)
                  for promotion in Promotion.select().order_by(Promotion.code)
                  if running(promotion, store.code, at)]
    snapshot = {"format": 1, "store": {"id": store.code, "name": store.name,
                                       **store.details},
                "pricing": {**store.pricing, "tax_classes": tax_classes(),
                            "promotions": promotions},
                "products": products, **store.till_settings,
                "customers": till_customers(store.code)}
    checks = campaign_codes({promotion["id"] for promotion in promotions})
    if checks:  # how the tills check the campaigns' codes offline (shared/coupons.py)
        snapshot["campaigns"] = checks
    suggested = recommendations.for_tills({product["sku"] for product in products})
    if suggested:  # "frequently bought together", for the cashier (edge/catalog.py)
        snapshot["recommendations"] = suggested
    return snapshot


def campaign_codes(promotion_codes):
    """What a store's tills need to check the codes of the campaigns whose offers are in
    its catalog: [{prefix, key, name}] (edge/catalog.py)."""
    if not promotion_codes:
        return []
    query = (Campaign.select(Campaign.prefix, Campaign.key, Campaign.name)
             .join(Promotion).where(Promotion.code.in_(list(promotion_codes)))
             .order_by(Campaign.prefix))
    return [{"prefix": prefix, "key": key, "name": name}
            for prefix, key, name in query.tuples()]


def publish(database, store, by, at=None):
    """The store's catalog as its next version, sent to its tills by the catalog server:
    the version's number, or None when the tills have it already. CatalogRefused (with the
    till's reason) when a till could not load it."""
    version = catalog_versions.publish(database, store.code, build_snapshot(store, at))
    if version is not None:
        audit(by, "catalog.publish", store.code, {"version": version})
    return version


def next_change(since, until):
    """Promotions that start or end in the interval (since, until]."""
    starts = (Promotion.starts_at > since) & (Promotion.starts_at <= until)
    ends = (Promotion.ends_at > since) & (Promotion.ends_at <= until)
    return list(Promotion.select().where(starts | ends))


def publish_scheduled(database, since, until):
    """Publish again the stores whose promotions started or ended in (since, until] and
    that have published before: [(store, version)] of the new versions."""
    changed = next_change(since, until)
    if not changed:
        return []
    everywhere = any(not promotion.stores for promotion in changed)
    named = {code for promotion in changed for code in promotion.stores}
    published = []
    for store in Store.select().order_by(Store.code):
        if (everywhere or store.code in named) and catalog_versions.latest(store.code):
            version = publish(database, store, "system", until)
            if version is not None:
                published.append((store.code, version))
    return published


def import_store_file(database, data, by):
    """Take a store file (the tills' format) into the hub's catalog: the store, its tax
    classes, products (through the products CSV import, so they pass the same checks) and
    promotions (for this store). All or nothing; StoreFileError says why not."""
    code = data.get("store", {}).get("id") if isinstance(data, dict) else None
    try:
        normal = catalog_versions.check(code, data)
    except (catalog_versions.CatalogRefused, ValueError) as exc:
        raise StoreFileError(f"the store file is refused: {exc}") from None
    details = {key: value for key, value in normal["store"].items()
               if key not in ("id", "name")}
    exponent = details.get("currency", {}).get("exponent", 2)
    with database.atomic():
        store, _ = Store.get_or_create(code=code, defaults={"name": normal["store"]["name"]})
        store.name = normal["store"].get("name", code)
        store.details = details
        store.pricing = {key: normal["pricing"][key] for key in PRICING_KEYS
                         if key in normal["pricing"]}
        store.till_settings = {key: value for key, value in normal.items()
                               if key not in CATALOG_KEYS}
        store.updated_at = now()
        store.save()
        _import_tax_classes(normal["pricing"]["tax_classes"])
        report = import_products(_products_csv(normal["products"], exponent), by, exponent)
        if not report.ok:
            row, column, message = report.errors[0]
            raise StoreFileError(f"product {row - 1}: {column}: {message} "
                                 f"({report.error_count} errors in all)")
        for raw in normal["pricing"].get("promotions", []):
            _import_promotion(raw, code)
        try:
            import_customers(normal.get("customers", []), by)
        except CustomerError as exc:
            raise StoreFileError(f"the store file is refused: {exc}") from None
        audit(by, "store.import", code, {"products": report.rows})
    return store


def _import_tax_classes(classes):
    for code, rates in classes.items():
        tax, _ = TaxClass.get_or_create(code=code, defaults={"name": code.title()})
        TaxRate.delete().where(TaxRate.tax_class == tax).execute()
        for rate in rates:
            TaxRate.create(tax_class=tax, code=rate["id"], rate=rate["rate"],
                           name=rate.get("name", rate["id"]))


def _products_csv(products, exponent):
    out = io.StringIO()
    writer = csv.DictWriter(out, COLUMNS, lineterminator="\n")
    writer.writeheader()
    for product in products:
        member = product.get("member_price")
        writer.writerow({
            "sku": product["sku"], "name": product["name"],
            "barcodes": "|".join(product.get("barcodes", ())),
            "category": product.get("department", ""), "tags": "|".join(product.get("tags", ())),
            "tax_class": product["tax_class"], "sold_by": product.get("sold_by", "unit"),
            "unit_price": format_money(product["unit_price"], exponent),
            "member_price": "" if member is None else format_money(member, exponent),
            "rcn_item": product.get("rcn_item", "")})
    return out.getvalue().encode()


def _import_promotion(raw, store_code):
    rule = {key: value for key, value in raw.items() if key not in ("id", "name", "type")}
    promotion = Promotion.get_or_none(Promotion.code == raw["id"])
    if promotion is None:
        promotion = Promotion(code=raw["id"], stores=[store_code])
    elif promotion.stores and store_code not in promotion.stores:
        promotion.stores = [*promotion.stores, store_code]
    promotion.name = raw.get("name", raw["id"])
    promotion.type = raw["type"]
    promotion.rule = rule
    promotion.updated_at = now()
    promotion.save()


def unpublished_changes(store):
    """When the catalog last changed after the store's latest version; None when it did
    not, or when the store has no version yet."""
    last = catalog_versions.latest(store.code)
    changed = max(filter(None, (
        Product.select(fn.MAX(Product.updated_at)).scalar(),
        Promotion.select(fn.MAX(Promotion.updated_at)).scalar(),
        Customer.select(fn.MAX(Customer.updated_at)).scalar(),
        store.updated_at)), default=None)
    return changed if last is not None and changed and changed > last.created_at else None


STORE_FIELDS = ("code", "name", "address", "phone", "tax_id", "footer", "currency_code",
                "currency_symbol", "exponent", "tax_mode", "tax_rounding", "rounding",
                "cash_increment")
CHOICES = {"tax_mode": ("inclusive", "exclusive"), "tax_rounding": ("total", "line"),
           "rounding": ("half_up", "half_even")}


def store_values(store):
    """A store as its form shows it."""
    currency = store.details.get("currency", {})
    return {"code": store.code, "name": store.name,
            "address": "\n".join(store.details.get("address", [])),
            "phone": store.details.get("phone", ""), "tax_id": store.details.get("tax_id", ""),
            "footer": store.details.get("footer", ""),
            "currency_code": currency.get("code", ""),
            "currency_symbol": currency.get("symbol", ""),
            "exponent": str(currency.get("exponent", 2)),
            **{key: str(store.pricing.get(key, CHOICES.get(key, ("1",))[0]))
               for key in PRICING_KEYS}}


def save_store(by, values, store=None):
    """Create or update a store from form values: (Store, None) or (None, {field: why}).
    A store's code is its tills' and does not change."""
    values = {name: (values.get(name) or "").strip() for name in STORE_FIELDS}
    errors = {}
    if store is not None:
        values["code"] = store.code
    else:
        try:
            check_store(values["code"])
        except ValueError as exc:
            errors["code"] = str(exc).split(": ", 1)[-1]
        if Store.get_or_none(Store.code == values["code"]):
            errors["code"] = f"{values['code']} is taken by another store"
    if not 1 <= len(values["name"]) <= 100:
        errors["name"] = "1-100 characters"
    if not re.fullmatch(r"[A-Z]{3}", values["currency_code"]):
        errors["currency_code"] = "three capital letters (ISO 4217), e.g. EUR"
    if values["exponent"] not in ("0", "1", "2", "3"):
        errors["exponent"] = "the currency's decimals: 0 to 3"
    for key, allowed in CHOICES.items():
        if values[key] not in allowed:
            errors[key] = f"one of {', '.join(allowed)}"
    if whole_number(values["cash_increment"], 10**6, least=1) is None:
        errors["cash_increment"] = "a whole number of minor units from 1 (no cash rounding)"
    for key, limit in (("phone", 40), ("tax_id", 40), ("footer", 300), ("address", 300),
                       ("currency_symbol", 4)):
        if len(values[key]) > limit:
            errors[key] = f"at most {limit} characters"
    if errors:
        return None, errors
    details = {"address": [line.strip() for line in values["address"].splitlines()
                           if line.strip()],
               "phone": values["phone"], "tax_id": values["tax_id"], "footer": values["footer"],
               "currency": {"code": values["currency_code"], "exponent": int(values["exponent"]),
                            "symbol": values["currency_symbol"]}}
    pricing = {"tax_mode": values["tax_mode"], "tax_rounding": values["tax_rounding"],
               "rounding": values["rounding"], "cash_increment": int(values["cash_increment"])}
    with Store._meta.database.atomic():
        before = store_values(store) if store else {}
        if store is None:
            store = Store(code=values["code"], till_settings={"staff": []})
        store.name = values["name"]
        store.details = {**store.details, **details}
        store.pricing = {**store.pricing, **pricing}
        store.updated_at = now()
        store.save()
        audit(by, "store.update" if before else "store.create", store.code,
              {name: [before.get(name), value] for name, value in store_values(store).items()
               if before.get(name) != value})
    return store, None


def set_store_price(by, store, product, unit_text, member_text):
    """The product's own prices in ``store`` ("" for the unit price: back to the catalog's);
    None, or {field: why}."""
    exponent = exponent_of(store)
    errors, prices = {}, {}
    for field, text in (("unit_price", unit_text), ("member_price", member_text)):
        text = (text or "").strip()
        try:
            prices[field] = parse_money(text, exponent) if text else None
        except ValueError as exc:
            errors[field] = str(exc)
    if prices.get("unit_price") is None and prices.get("member_price") is not None:
        errors["unit_price"] = "a store price is needed with a member price"
    if errors:
        return errors
    with Store._meta.database.atomic():
        StorePrice.delete().where((StorePrice.store == store)
                                  & (StorePrice.product == product)).execute()
        if prices["unit_price"] is not None:
            StorePrice.create(store=store, product=product, **prices)
        # The store's catalog changed: its page says so until it is published.
        Store.update(updated_at=now()).where(Store.id == store.id).execute()
        audit(by, "store_price.set", f"{store.code}/{product.sku}", prices)
    return None
