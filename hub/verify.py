"""The hub re-prices every sale it receives and flags the ones that do not match.

A till prices offline with its own copy of the catalog. The hub rebuilds the engine's
request from the sale message and the catalog version the till named (its products' tax
classes, tags and member prices, its customers, its pricing set-up), prices it with the
same engine (``shared.pricing``), and compares: the result must be the till's, byte for
byte, and each line's price the catalog's (or its scale label's) unless a supervisor
overrode it, and each campaign code genuine under its campaign's key. What cannot be
checked (a catalog version the hub never published, a refund, which is priced from its
original sale) is said so, never passed as checked.
"""
import json
from collections import OrderedDict

from shared import coupons, pricing
from shared.barcodes import BarcodeError, classify
from shared.sale_pricing import basket_line, discount_config, engine_basket


class PreparedCatalog:
    """One catalog version indexed for checking sales, with its engines."""

    def __init__(self, snapshot):
        self.products = {product["sku"]: product for product in snapshot["products"]}
        self.members = {customer["id"]: bool(customer.get("member", True))
                        for customer in snapshot.get("customers", [])}
        self.config = snapshot["pricing"]
        self.rcn_region = snapshot["store"].get("rcn_region")
        self.campaign_keys = {campaign["prefix"]: campaign["key"]
                              for campaign in snapshot.get("campaigns", ())}
        self.engines = {}

    def coupon_problems(self, codes):
        """The sale's campaign codes this catalog's keys do not vouch for, in words."""
        problems = []
        for code in codes or ():
            parts = coupons.split(str(code))
            if parts is None:
                continue
            key = self.campaign_keys.get(parts[0])
            try:
                if key is None:
                    raise coupons.CouponError(f"{code} is of no campaign of this catalog")
                coupons.serial_of(code, key)
            except coupons.CouponError as exc:
                problems.append(f"coupon: {exc}")
        return problems

    def prices(self, product, barcode):
        """(unit price, member price) a line of ``product`` scanned as ``barcode`` has: a
        scale label's own price, or the catalog's."""
        if barcode:
            try:
                scan = classify(barcode, self.rcn_region)
            except (BarcodeError, ValueError):
                scan = None
            if scan is not None and scan.kind == "variable" and scan.price is not None:
                return scan.price, None
        return product["unit_price"], product.get("member_price")

    def engine(self, manual_discount):
        key = json.dumps(manual_discount, sort_keys=True)
        if key not in self.engines:
            config = discount_config(self.config, manual_discount) if manual_discount \
                else self.config
            self.engines[key] = pricing.Engine(config)
        return self.engines[key]


class Verifier:
    """Checks sales against the catalog versions ``snapshots(store, version)`` returns
    (a store-file snapshot, or None for a version the hub does not know); the last
    ``keep`` versions used stay prepared."""

    def __init__(self, snapshots, keep=8):
        self.snapshots = snapshots
        self.keep = keep
        self.prepared = OrderedDict()

    def _catalog(self, store, version):
        key = (store, version)
        if key in self.prepared:
            self.prepared.move_to_end(key)
            return self.prepared[key]
        snapshot = self.snapshots(store, version)
        if snapshot is None:
            return None
        prepared = self.prepared[key] = PreparedCatalog(snapshot)
        if len(self.prepared) > self.keep:
            self.prepared.popitem(last=False)
        return prepared

    def check(self, store, body):
        """(status, problems) for a ``sale.completed`` body: "ok", "mismatch" (problems
        say where), "unverified" or "skipped" (problems say why)."""
        if body["kind"] == "refund":
            return "skipped", ["a refund is priced from its original sale, not re-priced"]
        version = body.get("catalog")
        catalog = self._catalog(store, version) if version else None
        if catalog is None:
            return "unverified", [f"catalog version {version!r} of store {store} is not "
                                  "known to the hub"]
        problems = []
        lines = []
        for line in body["lines"]:
            if line["voided"]:
                continue
            product = catalog.products.get(line["sku"])
            if product is None:
                problems.append(f"line {line['position']}: sku {line['sku']} is not in "
                                f"catalog version {version}")
                continue
            unit_price, member_price = catalog.prices(product, line.get("barcode"))
            if line["unit_price"] != unit_price:
                problems.append(f"line {line['position']}: unit price {line['unit_price']}, "
                                f"catalog {unit_price}")
            lines.append(basket_line(
                line["position"], line["sku"], product["tax_class"], unit_price,
                product.get("tags", ()), qty=line["qty"], weight_g=line["weight_g"],
                price_override=line.get("price_override"), member_price=member_price))
        problems += catalog.coupon_problems(body.get("coupons"))
        if problems:
            return "mismatch", problems
        member = catalog.members.get(body["customer"], False) if body["customer"] else False
        basket = engine_basket(lines, member, body.get("coupons"))
        try:
            result = catalog.engine(body.get("manual_discount")).price(basket)
        except pricing.PricingError as exc:
            return "mismatch", [f"the hub cannot price the sale: {exc}"]
        return ("ok", []) if result == body["result"] else ("mismatch", differences(
            result, body["result"]))


def differences(expected, received):
    """Where the till's result differs from the hub's, in words."""
    found = [f"{field}: till {received.get(field)!r}, hub {expected.get(field)!r}"
             for field in ("subtotal", "item_discount", "basket_discount", "tax_total",
                           "total", "cash_total") if expected.get(field) != received.get(field)]
    hub_lines = {line["line"]: line for line in expected.get("lines", [])}
    for line in received.get("lines", []):
        mine = hub_lines.get(line.get("line"))
        if mine is None or mine.get("net") != line.get("net"):
            found.append(f"line {line.get('line')}: net till {line.get('net')!r}, hub "
                         f"{mine and mine.get('net')!r}")
    return found or ["the result differs from the hub's in detail"]
