"""Coupons presented at the till: a code typed or scanned is checked before it joins the
sale, against the catalog and this till's journal only, so entry works offline.

A plain code (``WELCOME10``) must be some promotion's ``coupon``. A campaign code
(``SPRING-0G1M-Z4QH-7KXD``, ``shared/coupons.py``) must belong to a campaign the catalog
runs, carry the right tag under its key, and not be on another sale of this till that was
completed (or is parked, and may be): one customer's code gives its discount once. Codes
used at two tills offline at once are the hub's to see.
"""
from shared import coupons
from shared.coupons import CouponError

from .basket import sale_ref
from .errors import TillError

MAX_PER_SALE = 10


def accepted_code(catalog, typed):
    """The code to keep on the sale for what was typed or scanned; TillError saying why
    the catalog refuses it."""
    try:
        code = coupons.normalize(typed if isinstance(typed, str) else "")
    except CouponError as exc:
        raise TillError(str(exc), 422) from None
    if code in catalog.campaigns:
        raise TillError(f"{code} is a campaign, not a coupon: enter the customer's own code "
                        f"({code}-XXXX-XXXX-XXXX)", 422)
    if code in catalog.plain_coupons:  # kept as the promotion spells it
        return catalog.plain_coupons[code]
    parts = coupons.split(code)
    if parts is None:
        raise TillError(f"unknown coupon code {code}", 404)
    campaign = catalog.campaigns.get(parts[0])
    if campaign is None:
        raise TillError(f"{coupons.display(code)}: the {parts[0]} campaign does not run at "
                        "this store", 404)
    try:
        coupons.serial_of(code, campaign.key)
    except CouponError as exc:
        raise TillError(str(exc), 422) from None
    return code


def looks_like_coupon(catalog, scanned):
    """Whether a scan is a coupon of this catalog rather than a barcode: a plain code a
    promotion has, or a code of a campaign it runs (digits alone are always barcodes)."""
    if not isinstance(scanned, str) or scanned.strip().isdigit():
        return False
    try:
        code = coupons.normalize(scanned)
    except CouponError:
        return False
    parts = coupons.split(code)
    return code in catalog.plain_coupons or (parts is not None
                                             and parts[0] in catalog.campaigns)


class CouponDesk:
    """Adding and removing the open sale's coupons; each change re-prices the sale."""

    def __init__(self, till):
        self.till = till
        self.journal = till.journal

    def add(self, staff, typed):
        """The code joins the open sale (one is started if none is), or TillError."""
        till = self.till
        with till.changing():
            try:
                code = accepted_code(till.catalog, typed)
            except TillError as exc:
                self.journal.audit("coupon.refused", staff.id, None, None,
                                   {"code": str(typed)[:64], "reason": exc.message})
                raise
            if coupons.split(code):
                self._refuse_used(code)
            sale = self._changeable(till.sale_for(staff))
            if code in sale.coupons:
                raise TillError(f"{coupons.display(code)} is already on this sale", 409)
            if len(sale.coupons) >= MAX_PER_SALE:
                raise TillError(f"a sale takes at most {MAX_PER_SALE} coupons", 409)
            self.journal.set_coupons(sale, [*sale.coupons, code])
            return till.view(sale)

    def remove(self, staff, typed):
        """The code (as kept or as printed) taken off the open sale."""
        till = self.till
        with till.changing():
            sale = self._changeable(till.open_sale())
            try:
                code = coupons.normalize(typed if isinstance(typed, str) else "")
            except CouponError as exc:
                raise TillError(str(exc), 422) from None
            kept = [held for held in sale.coupons if coupons.normalize(held) != code]
            if len(kept) == len(sale.coupons):
                raise TillError(f"{coupons.display(code)} is not on this sale", 404)
            self.journal.set_coupons(sale, kept)
            return till.view(sale)

    def _changeable(self, sale):
        if sale.kind == "refund":
            raise TillError("a return takes no coupons", 409)
        self.till.refuse_after_tender(sale, "change the coupons")
        return sale

    def _refuse_used(self, code):
        """A campaign code gives its discount once: not again after a completed sale of
        this till, nor while a parked sale holds it (voided sales do not count)."""
        earlier = self.journal.sale_with_coupon(code, ("completed", "parked"))
        if earlier is None:
            return
        printed = coupons.display(code)
        if earlier.state == "parked":
            raise TillError(f"{printed} is on parked sale {sale_ref(earlier)}: resume that "
                            "sale, or void it to use the code here", 409)
        raise TillError(f"{printed} was already used on sale {sale_ref(earlier)} at this "
                        "till", 409)
