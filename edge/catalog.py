"""The till's view of the store: products, barcodes, customers, staff and the pricing set-up.

Loaded from the catalog version the hub pushed last (``edge/catalog_sync.py``), or on a
till's first boot from its store file (``edge/data/sample-store.json`` in the demo).
Everything a scan needs is indexed once here, and the pricing ``Engine`` is prepared once
per catalog version, so a scan never walks the product list.
"""
import bisect
import contextlib
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

from shared import coupons, pricing
from shared.barcodes import BarcodeError, classify
from shared.sale_pricing import MANUAL_DISCOUNT, discount_config

_WORD = re.compile(r"[^\W_]+")
_KEY = re.compile(r"[0-9a-f]{32}")


class CatalogError(ValueError):
    """The store file cannot be used; the message says where and why."""


@dataclass(frozen=True)
class Product:
    sku: str
    name: str
    unit_price: int
    tax_class: str
    by_weight: bool
    member_price: int | None = None
    tags: tuple = ()
    department: str = ""
    barcodes: tuple = ()
    rcn_item: str | None = None


@dataclass(frozen=True)
class Campaign:
    """A campaign whose codes this store's tills accept (``shared/coupons.py``)."""

    prefix: str
    key: str
    name: str


@dataclass(frozen=True)
class Customer:
    id: str
    name: str
    card: str
    phone: str
    member: bool


@dataclass(frozen=True)
class Staff:
    id: str
    name: str
    role: str
    pin_hash: str


ROLES = ("cashier", "supervisor", "manager")


def _words(text):
    return [word.casefold() for word in _WORD.findall(text)]


def _digits(text):
    return "".join(ch for ch in text if ch.isdigit())


class Catalog:
    """An immutable, indexed store file. ``version`` identifies its content."""

    def __init__(self, data, version):
        try:
            self._load(data)
        except CatalogError:
            raise
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise CatalogError(f"store file is malformed: {exc!r}") from None
        self.version = version

    def _load(self, data):
        if not isinstance(data, dict) or data.get("format") != 1:
            raise CatalogError("store file: expected an object with \"format\": 1")
        self.store = data["store"]
        self.currency = self.store["currency"]
        self.rcn_region = self.store.get("rcn_region")
        self.loyalty_prefix = self.store.get("loyalty_prefix")
        self.pricing = data["pricing"]
        try:
            self.engine = pricing.Engine(self.pricing)
        except pricing.PricingError as exc:
            raise CatalogError(f"store file: pricing: {exc}") from None
        self.promotion_names = {promo["id"]: promo.get("name", promo["id"])
                                for promo in self.pricing.get("promotions", [])}
        if MANUAL_DISCOUNT in self.promotion_names:
            raise CatalogError(f"store file: promotion id {MANUAL_DISCOUNT} is reserved for "
                               "manual discounts")
        self.promotion_names[MANUAL_DISCOUNT] = "Discount"
        self.campaigns = self._campaigns(data.get("campaigns", []))
        # coupon -> the promotions it switches on (a campaign's: its prefix).
        self.coupon_promotions = {}
        for promo in self.pricing.get("promotions", []):
            if promo.get("coupon") is not None:
                self.coupon_promotions.setdefault(promo["coupon"], []).append(promo["id"])
        # A plain code as typed and normalized -> the promotion's own spelling of it.
        self.plain_coupons = {}
        for code in self.coupon_promotions.keys() - self.campaigns.keys():
            with contextlib.suppress(coupons.CouponError):  # too long to be typed
                self.plain_coupons[coupons.normalize(code)] = code
        self._discount_engines = {}
        self.tax_names = {rate["id"]: rate.get("name", rate["id"])
                          for rates in self.pricing["tax_classes"].values() for rate in rates}
        self.products = {}
        self.by_barcode = {}
        self.by_rcn_item = {}
        for number, raw in enumerate(data["products"], 1):
            product = self._product(number, raw)
            if product.sku in self.products:
                raise CatalogError(f"store file: product {number}: duplicate sku {product.sku}")
            self.products[product.sku] = product
            for code in product.barcodes:
                code = self._product_code(number, code)
                if code in self.by_barcode:
                    raise CatalogError(f"store file: barcode {code} is on two products")
                self.by_barcode[code] = product
            if product.rcn_item:
                self.by_rcn_item[product.rcn_item] = product
        # Sorted (word, sku) pairs: a name search is a bisect per word, not a scan.
        self._words = sorted({(word, sku) for sku, product in self.products.items()
                              for word in _words(product.name)})
        self.customers = {}
        self.by_card = {}
        self.by_phone = {}
        for raw in data.get("customers", []):
            customer = Customer(raw["id"], raw["name"], str(raw["card"]),
                                str(raw.get("phone", "")), bool(raw.get("member", True)))
            self.customers[customer.id] = customer
            self.by_card[customer.card] = customer
            if customer.phone:
                self.by_phone[_digits(customer.phone)] = customer
        self.staff = []
        for raw in data["staff"]:
            if raw["role"] not in ROLES:
                raise CatalogError(f"store file: staff {raw['id']}: role must be one of "
                                   f"{', '.join(ROLES)}")
            self.staff.append(Staff(raw["id"], raw["name"], raw["role"], raw["pin_hash"]))
        self.reasons = data.get("reasons", {})
        # sku -> skus often bought with it (the hub's "frequently bought together").
        self.recommendations = {str(sku): [str(other) for other in others]
                                for sku, others in data.get("recommendations", {}).items()}
        self.denominations = data.get("denominations", [])
        self.quick_cash = data.get("quick_cash", [])

    @staticmethod
    def _campaigns(raw):
        """The campaigns section, checked as strictly as the hub must publish it."""
        if not isinstance(raw, list):
            raise CatalogError("store file: campaigns must be a list")
        found = {}
        for number, entry in enumerate(raw, 1):
            where = f"store file: campaigns {number}"
            if not isinstance(entry, dict):
                raise CatalogError(f"{where}: expected an object")
            prefix = entry.get("prefix")
            try:
                if coupons.check_prefix(prefix) != prefix:
                    raise coupons.CouponError("a code prefix is written in capitals, no spaces")
            except coupons.CouponError as exc:
                raise CatalogError(f"{where}: prefix: {exc}") from None
            key = entry.get("key")
            if not isinstance(key, str) or not _KEY.fullmatch(key):
                raise CatalogError(f"{where}: key must be 32 lowercase hex characters")
            if not isinstance(entry.get("name"), str):
                raise CatalogError(f"{where}: name must be a string")
            if prefix in found:
                raise CatalogError(f"{where}: duplicate prefix {prefix}")
            found[prefix] = Campaign(prefix, key, entry["name"])
        return found

    def _product_code(self, number, code):
        """A product barcode in the form scans are looked up by (GTIN normal form)."""
        try:
            scan = classify(str(code), self.rcn_region)
        except BarcodeError as exc:
            raise CatalogError(f"store file: product {number}: {exc}") from None
        if scan.kind != "gtin":
            raise CatalogError(f"store file: product {number}: {code} is not a product "
                               "barcode")
        return scan.gtin

    def _product(self, number, raw):
        sold_by = raw.get("sold_by", "unit")
        if sold_by not in ("unit", "weight"):
            raise CatalogError(f"store file: product {number}: sold_by must be unit or weight")
        if raw["tax_class"] not in self.pricing["tax_classes"]:
            raise CatalogError(f"store file: product {number}: unknown tax_class "
                               f"{raw['tax_class']!r}")
        for field in ("unit_price", "member_price"):
            value = raw.get(field)
            if value is not None and (type(value) is not int or value < 0):
                raise CatalogError(f"store file: product {number}: {field} must be an "
                                   "integer of minor units >= 0")
        return Product(
            sku=str(raw["sku"]), name=str(raw["name"]), unit_price=raw["unit_price"],
            tax_class=raw["tax_class"], by_weight=sold_by == "weight",
            member_price=raw.get("member_price"), tags=tuple(raw.get("tags", ())),
            department=raw.get("department", ""), barcodes=tuple(raw.get("barcodes", ())),
            rcn_item=raw.get("rcn_item"))

    @classmethod
    def load(cls, path):
        """Read a store file; CatalogError with the reason if it cannot be used."""
        try:
            raw = Path(path).read_bytes()
            data = json.loads(raw)
        except OSError as exc:
            raise CatalogError(f"cannot read store file {path}: {exc.strerror}") from None
        except ValueError as exc:
            raise CatalogError(f"store file {path} is not valid JSON: {exc}") from None
        return cls(data, hashlib.sha256(raw).hexdigest()[:16])

    def search(self, query, limit=20):
        """Products whose name has a word starting with each word of the query."""
        words = _words(query)
        if not words:
            return []
        found = None
        for word in words:
            start = bisect.bisect_left(self._words, (word, ""))
            skus = set()
            for known, sku in self._words[start:]:
                if not known.startswith(word):
                    break
                skus.add(sku)
            found = skus if found is None else found & skus
            if not found:
                return []
        return sorted((self.products[sku] for sku in found), key=lambda p: p.name)[:limit]

    def engine_for(self, manual_discount):
        """The engine, or for a sale with a manual discount, one whose promotions include
        it as a basket promotion (the customer gets the better of it and the store's own
        basket offer). Made once per distinct discount."""
        if not manual_discount:
            return self.engine
        key = json.dumps(manual_discount, sort_keys=True)
        engine = self._discount_engines.get(key)
        if engine is None:
            engine = self._discount_engines[key] = pricing.Engine(
                discount_config(self.pricing, manual_discount))
        return engine

    def staff_name(self, staff_id):
        return next((staff.name for staff in self.staff if staff.id == staff_id), staff_id)

    def find_customer(self, card=None, phone=None):
        """A customer by loyalty card number or phone (digits compared), or None."""
        if card:
            return self.by_card.get(card.strip())
        if phone:
            return self.by_phone.get(_digits(phone))
        return None
