"""The till's sale flow: what a cashier does at the counter, kept apart from HTTP and devices.

Every operation runs under one lock (a till serves one counter; a double tap must not
race) and commits to the journal before it answers, so what the screen shows is what a
``kill -9`` would leave. Every change re-prices the whole basket.
"""
import contextlib
import math
import threading
import time

from werkzeug.security import check_password_hash

from shared.barcodes import BarcodeError, classify
from shared.pricing import PricingError
from shared.pricing.request import PERCENT_FULL, parse_percent

from .basket import cash_due, priced_view
from .coupons import CouponDesk, looks_like_coupon
from .errors import TillError, is_count
from .journal import Journal
from .payments import PaymentDesk
from .returns import ReturnsDesk
from .tenders import KINDS as HUB_TENDERS
from .tenders import TenderDesk

# Gated actions and who may approve them.
APPROVERS = ("supervisor", "manager")
GATED = ("price_override", "line_discount", "total_discount", "void_after_tender", "no_sale",
         "refund", "refund_without_receipt", "card_check")
MAX_QTY = 9999
# Wrong PINs in a row before sign-in and approvals pause, and for how long (seconds).
PIN_ATTEMPTS = 5
PIN_LOCKOUT_S = 30
MAX_WEIGHT_G = 1_000_000


class Till:
    """One till: its catalog, journal and devices."""

    def __init__(self, till_id, catalog, database, devices):
        self.till_id = till_id
        self.catalog = catalog
        self.journal = Journal(database, till_id)
        self.devices = devices
        self.lock = threading.RLock()
        # Screens wait on this for changes, hardware scans included: ``version`` counts them.
        self.changed = threading.Condition(self.lock)
        self.version = 0
        self.operator = None  # who is signed in at this till; hardware scans are theirs
        self.notice = None  # the last refusal of a hardware scan, for the screen
        self.wrong_pins = 0
        self.locked_until = 0.0
        self._view = None  # (key, view) of the last sale priced
        # Orders the answers screens get: journal writes since start, on top of the start
        # time in µs, so it grows across restarts too.
        self.boot = time.time_ns() // 1000
        self.journal.recover()
        self.returns = ReturnsDesk(self)
        self.payments = PaymentDesk(self)
        self.tenders = TenderDesk(self)
        self.coupons = CouponDesk(self)
        self.link = None  # the MQTT publisher, when the till has a hub
        if devices.drawer is not None:
            # The drawer's sensor is news for the screens: "close the drawer" goes away.
            devices.drawer.when_opened = devices.drawer.when_closed = self._drawer_moved

    def _drawer_moved(self):
        with self.changing():
            pass

    @property
    def drawer_open(self):
        drawer = self.devices.drawer
        return drawer.is_open if drawer is not None else None

    @contextlib.contextmanager
    def changing(self):
        """Serialise a change and tell waiting screens when it is done, failed or not (a
        refusal is news for the screen too)."""
        with self.lock:
            try:
                yield
            finally:
                self.version += 1
                self.changed.notify_all()
                self._show_status()

    def _show_status(self):
        """The status lights: error while a receipt waits for the printer, attention while
        the drawer is open, busy during a sale, else ready."""
        lights = self.devices.lights
        if lights is None:
            return
        if self.journal.receipts_pending():
            state = "error"
        elif self.drawer_open:
            state = "attention"
        elif self.journal.open_sale() is not None:
            state = "busy"
        else:
            state = "ready"
        if lights.state != state:
            lights.show(state)

    def wait_for_change(self, since, timeout):
        """Block until ``version`` passes ``since`` or ``timeout`` seconds; the version."""
        with self.lock:
            self.changed.wait_for(lambda: self.version != since, timeout)
            return self.version

    # -- staff ------------------------------------------------------------------------

    def staff_by_pin(self, pin):
        """The staff member with this PIN; repeated wrong PINs pause PIN entry."""
        if not isinstance(pin, str) or not pin.isdigit() or not 4 <= len(pin) <= 8:
            raise TillError("a PIN is 4 to 8 digits", 400)
        wait = self.locked_until - time.monotonic()
        if wait > 0:
            raise TillError(f"too many wrong PINs: try again in {math.ceil(wait)} s", 429)
        for staff in self.catalog.staff:
            if check_password_hash(staff.pin_hash, pin):
                self.wrong_pins = 0
                return staff
        self.wrong_pins += 1
        if self.wrong_pins >= PIN_ATTEMPTS:
            self.wrong_pins = 0
            self.locked_until = time.monotonic() + PIN_LOCKOUT_S
            self.journal.audit("staff.pin_lockout", None, None, None, {})
        raise TillError("PIN not recognised", 401)

    def sign_in(self, pin):
        staff = self.staff_by_pin(pin)
        with self.changing():
            self.operator = staff
            self.journal.audit("staff.sign_in", staff.id, None, None, {})
        return staff

    def sign_out(self, staff):
        with self.changing():
            if self.operator is staff:
                self.operator = None
            self.journal.audit("staff.sign_out", staff.id, None, None, {})

    def device_scan(self, code):
        """A code from the scanner hardware, for whoever is signed in at the till."""
        with self.changing():
            try:
                if self.operator is None:
                    raise TillError("sign in before scanning", 401)
                self.scan(self.operator, code)
                self.notice = None
            except TillError as exc:
                self.notice = {"error": exc.message, **exc.details}

    def approve(self, pin, action, staff, sale=None, detail=None):
        """A supervisor's PIN for a gated action, recorded in the audit log."""
        if action not in GATED:
            raise TillError(f"unknown action {action!r}")
        if not pin:
            raise TillError(f"{action.replace('_', ' ')} needs a supervisor's approval", 403,
                            approval=action)
        approver = self.staff_by_pin(pin)
        if approver.role not in APPROVERS:
            raise TillError(f"{approver.name} cannot approve {action.replace('_', ' ')}", 403,
                            approval=action)
        self.journal.audit(f"approve.{action}", staff.id, approver.id, sale, detail or {})
        return approver

    def device_reject(self, rejection, text):
        """Key strokes the scanner decoder dropped (a pause mid-code, an over-long code)."""
        with self.changing():
            reason = getattr(rejection, "value", rejection)
            self.notice = {"error": f"scan not read ({reason}): scan again"}
            self.journal.audit("scan.dropped", getattr(self.operator, "id", None), None, None,
                               {"reason": str(reason), "text": text[:64]})

    # -- the open sale --------------------------------------------------------------------

    def view(self, sale):
        """The sale priced; reused until the journal or the catalog changes, so the kiosk,
        the customer display and the scan's own answer price a scan once."""
        key = (sale.uuid, self.journal.writes, self.catalog.version)
        if self._view is not None and self._view[0] == key:
            return self._view[1]
        customer = self.catalog.customers.get(sale.customer) if sale.customer else None
        if sale.kind == "refund":
            view = self.returns.view(sale, customer)
        else:
            view = priced_view(self.catalog, sale, self.journal.lines(sale),
                               self.journal.payments(sale), customer)
        view["card_attempt"] = self.payments.attempt_view(self.journal.card_attempt(sale))
        view["revision"] = self.revision
        self._view = (key, view)
        return view

    @property
    def revision(self):
        """Grows with every journal write: a screen keeps the newest answer it was given."""
        return self.boot + self.journal.writes

    def current(self, staff):
        """The till's open sale as a priced view, or None."""
        return self.snapshot()[1]

    def snapshot(self):
        """(revision, the open sale's view or None), taken together."""
        with self.lock:
            sale = self.journal.open_sale()
            return self.revision, self.view(sale) if sale else None

    def require_session(self):
        if self.journal.current_session() is None:
            raise TillError("the till is not open: count the float first", 409,
                            session_closed=True)

    def sale_for(self, staff):
        """The open sale, or a new one for ``staff`` once the till is open."""
        sale = self.journal.open_sale()
        if sale is None:
            self.require_session()
            sale = self.journal.start_sale(staff.id)
        return sale

    def open_sale(self):
        """The open sale; 409 when there is none."""
        return self._open()

    def _open(self):
        sale = self.journal.open_sale()
        if sale is None:
            raise TillError("no sale in progress", 409)
        return sale

    def scan(self, staff, code):
        """A scanned or keyed code: a product, a weighed item, a loyalty card, or a
        coupon (the customer's code on their phone, or typed into the code box)."""
        if looks_like_coupon(self.catalog, code):
            return self.coupons.add(staff, code)
        with self.changing():
            try:
                scan = classify(code, self.catalog.rcn_region,
                                loyalty_prefix=self.catalog.loyalty_prefix)
            except BarcodeError as exc:
                self.journal.audit("scan.rejected", staff.id, None, None,
                                   {"code": str(code)[:64], "reason": str(exc)})
                raise TillError(f"barcode rejected: {exc}", 422, code=str(code)[:64]) from None
            if scan.kind == "loyalty":
                return self.attach_customer(staff, card=scan.card)
            if scan.kind == "gtin":
                product = self.catalog.by_barcode.get(scan.gtin)
                if product is None:
                    raise TillError(f"unknown barcode {scan.gtin}: key the item in or search "
                                    "by name", 404, code=scan.gtin, manual_entry=True)
                if product.by_weight:
                    if getattr(self.journal.open_sale(), "kind", None) == "refund":
                        raise TillError("return weighed items from the receipt's list", 409)
                    raise TillError(f"{product.name} is sold by weight: weigh it", 409,
                                    sku=product.sku, weigh=True)
                return self._add(staff, product, qty=1, barcode=scan.gtin)
            if scan.kind == "variable":
                product = self.catalog.by_rcn_item.get(scan.item)
                if product is None:
                    raise TillError(f"unknown weighed item {scan.item}: key it in", 404,
                                    code=code, manual_entry=True)
                return self._add_variable(staff, product, scan, code)
            if self.journal.open_sale() is None:
                return self.returns.start(staff, code=code)
            raise TillError("finish the sale in progress before a return", 409, code=code)

    def _add_variable(self, staff, product, scan, code):
        if not product.by_weight:
            raise TillError(f"{product.name} is not sold by weight", 409)
        if scan.weight_g is not None:
            return self._add(staff, product, weight_g=scan.weight_g, barcode=code)
        # A price-embedded label: the scale already priced it; that price is the unit's.
        return self._add(staff, product, qty=1, barcode=code, label_price=scan.price)

    def add_item(self, staff, sku, qty=None, weight_g=None):
        """A product keyed in or picked from the search."""
        with self.changing():
            product = self.catalog.products.get(sku)
            if product is None:
                raise TillError(f"unknown product {sku!r}", 404)
            if product.by_weight:
                if not is_count(weight_g, MAX_WEIGHT_G):
                    raise TillError(f"{product.name} is sold by weight: give weight_g, "
                                    f"1 to {MAX_WEIGHT_G} grams", 422, weigh=True)
                return self._add(staff, product, weight_g=weight_g)
            qty = 1 if qty is None else qty
            if not is_count(qty, MAX_QTY):
                raise TillError(f"quantity must be a whole number from 1 to {MAX_QTY}", 422)
            return self._add(staff, product, qty=qty)

    def _add(self, staff, product, qty=None, weight_g=None, barcode=None, label_price=None):
        sale = self.sale_for(staff)
        if sale.kind == "refund":
            if qty != 1 or label_price is not None:
                raise TillError("return weighed items from the receipt's list", 409)
            return self.returns.scan_product(staff, sale, product, barcode)
        self.refuse_after_tender(sale, "add items")
        last = self.journal.last_live_line(sale)
        if (qty is not None and label_price is None and last is not None
                and last.sku == product.sku and last.qty is not None
                and last.price_override is None and last.qty + qty <= MAX_QTY
                and last.barcode == barcode):
            # The same item again: one line with a higher quantity, as on the receipt.
            self.journal.update_line(last, qty=last.qty + qty)
        else:
            self.journal.add_line(sale, product, qty, weight_g, barcode, label_price)
        return self.view(sale)

    def refuse_after_tender(self, sale, what):
        self.payments.refuse_unresolved(sale)
        if self.journal.payments(sale):
            raise TillError(f"cannot {what} once payment has started", 409)

    def set_qty(self, staff, position, qty):
        with self.changing():
            sale, line = self._line_to_change(position, "change quantities")
            if line.weight_g is not None:
                raise TillError("a weighed line's quantity cannot change: void and re-weigh",
                                409)
            if not is_count(qty, MAX_QTY):
                raise TillError(f"quantity must be a whole number from 1 to {MAX_QTY}", 422)
            if sale.kind == "refund":
                self.returns.set_qty(sale, line, qty)
            else:
                self.journal.update_line(line, qty=qty)
            return self.view(sale)

    def _line_to_change(self, position, what):
        """The open sale and its live line ``position``, before any payment."""
        sale = self._open()
        self.refuse_after_tender(sale, what)
        line = self.journal.line(sale, position)
        if line is None or line.voided:
            raise TillError(f"no line {position} in this sale", 404)
        return sale, line

    def override_price(self, staff, position, unit_price, pin):
        with self.changing():
            sale, line = self._line_to_change(position, "override prices")
            if not is_count(unit_price, 10**10, minimum=0):
                raise TillError("price must be a whole number of minor units >= 0", 422)
            self.approve(pin, "price_override", staff, sale.uuid,
                         {"position": position, "from": line.unit_price, "to": unit_price})
            self.journal.update_line(line, price_override=unit_price)
            return self.view(sale)

    def discount_line(self, staff, position, percent, pin):
        """A percentage off one line's unit price, approved; promotions still apply."""
        with self.changing():
            sale, line = self._line_to_change(position, "discount lines")
            rate = _percent(percent)
            shown = next(item for item in self.view(sale)["lines"]
                         if item["position"] == position)["unit_price"]
            price = (2 * shown * (PERCENT_FULL - rate) + PERCENT_FULL) // (2 * PERCENT_FULL)
            self.approve(pin, "line_discount", staff, sale.uuid,
                         {"position": position, "percent": percent, "from": shown, "to": price})
            self.journal.update_line(line, price_override=price)
            return self.view(sale)

    def discount_sale(self, staff, percent=None, amount_off=None, pin=None):
        """A discount on the whole sale (percent or amount), approved; none removes it."""
        with self.changing():
            sale = self._open()
            self.refuse_after_tender(sale, "discount the sale")
            if percent is None and amount_off is None:
                self.journal.set_manual_discount(sale, None)
                return self.view(sale)
            if (percent is None) == (amount_off is None):
                raise TillError("give a percent or an amount off, not both", 422)
            if percent is not None:
                _percent(percent)
                discount = {"percent": percent}
            elif is_count(amount_off, 10**10):
                discount = {"amount_off": amount_off}
            else:
                raise TillError("amount off must be a positive whole number of minor units", 422)
            self.approve(pin, "total_discount", staff, sale.uuid, discount)
            self.journal.set_manual_discount(sale, discount)
            return self.view(sale)

    def void_line(self, staff, position, pin=None):
        with self.changing():
            sale = self._open()
            line = self.journal.line(sale, position)
            if line is None or line.voided:
                raise TillError(f"no line {position} in this sale", 404)
            self.payments.refuse_unresolved(sale)
            if self.journal.payments(sale):
                self.approve(pin, "void_after_tender", staff, sale.uuid, {"position": position})
            self.journal.update_line(line, voided=True)
            self.journal.audit("line.void", staff.id, None, sale.uuid,
                               {"position": position, "sku": line.sku})
            return self.view(sale)

    def attach_customer(self, staff, card=None, phone=None):
        with self.changing():
            customer = self.catalog.find_customer(card=card, phone=phone)
            if customer is None:
                raise TillError("no customer with that card or phone number", 404)
            sale = self.sale_for(staff)
            self.refuse_after_tender(sale, "change the customer")
            self.journal.set_customer(sale, customer.id)
            return self.view(sale)

    def detach_customer(self, staff):
        with self.changing():
            sale = self._open()
            self.refuse_after_tender(sale, "change the customer")
            self.journal.set_customer(sale, None)
            return self.view(sale)

    def void_sale(self, staff, pin=None):
        """Void the open sale; after payment, with a supervisor, giving the payments back."""
        with self.changing():
            sale = self._open()
            self.payments.refuse_unresolved(sale)
            if not self.journal.payments(sale):
                self.journal.finish_void(sale, staff.id)
                return None
        return self.payments.void(staff, pin)

    def settle(self, staff):
        """Complete a sale that voids after payment left paid in full or more: the excess
        goes back to the cards, then in cash."""
        return self.payments.settle(staff)

    def check_card(self, staff, went_through, pin):
        return self.payments.check(staff, went_through, pin)

    # -- parked sales ---------------------------------------------------------------------

    def park(self, staff):
        with self.changing():
            sale = self._open()
            self.refuse_after_tender(sale, "park the sale")
            if not self.journal.live_lines(sale):
                raise TillError("nothing to park: the sale is empty", 409)
            self.journal.set_state(sale, "parked")
            self.journal.audit("sale.park", staff.id, None, sale.uuid, {})

    def parked(self):
        with self.lock:
            return [self.view(sale) for sale in self.journal.parked_sales()]

    def resume(self, staff, uuid):
        with self.changing():
            if self.journal.open_sale() is not None:
                raise TillError("finish or park the current sale first", 409)
            sale = self.journal.parked_sale(uuid)
            if sale is None:
                raise TillError("no parked sale with that number", 404)
            self.journal.set_state(sale, "open")
            self.journal.audit("sale.resume", staff.id, None, sale.uuid, {})
            return self.view(sale)

    # -- tender -----------------------------------------------------------------------------

    def tender(self, staff, kind, amount=None, code=None):
        """Take a payment; the sale completes when nothing remains due.

        Cash: ``amount`` is what the customer hands over (the remainder due if omitted);
        the amount due is cash-rounded and the change computed. Card: ``amount`` is charged
        on the terminal (the remainder if omitted); a decline leaves the sale open.
        Voucher (its ``code``) and store credit (the customer's): ``amount`` (the remainder
        if omitted) is taken off with the hub's approval, so only while it is reachable.
        """
        with self.changing():
            sale = self._open()
            if sale.kind == "refund":
                raise TillError("a return is paid back with Refund, not taken as payment", 409)
            self.payments.refuse_unresolved(sale)
            view = self.view(sale)
            if not any(not line["voided"] for line in view["lines"]):
                raise TillError("the sale is empty" + (": void it to give back what was paid"
                                                       if view["payments"] else ""), 409)
            remaining = view["remaining"]
            if remaining <= 0 and kind in ("cash", "card", *HUB_TENDERS):
                raise TillError("nothing is due: complete the sale, and any excess goes back",
                                409, settle=True)
            if kind == "cash":
                return self._tender_cash(staff, sale, remaining, amount)
            if kind == "card":
                attempt = self.payments.start_charge(sale, remaining, amount)
            elif kind in HUB_TENDERS:
                attempt = self.tenders.start(sale, kind, remaining, amount, code)
            else:
                raise TillError(f"unknown tender {kind!r}: cash, card, voucher, "
                                "store_credit or points", 422)
        # The terminal may take a minute, the hub a few seconds: asked without the lock.
        if kind == "card":
            return self.payments.run(staff, attempt)
        return self.tenders.run(staff, attempt)

    def _tender_cash(self, staff, sale, remaining, amount):
        if self.drawer_open:
            raise TillError("close the cash drawer before the next cash payment", 409,
                            drawer_open=True)
        increment = self.catalog.pricing.get("cash_increment", 1)
        due = cash_due(remaining, increment)
        amount = due if amount is None else amount
        if not is_count(amount, 10**12, minimum=1):
            raise TillError("cash tendered must be a positive whole number of minor units", 422)
        if amount < due:
            self.journal.add_payment(sale, "cash", amount, tendered=amount)
            return self.view(sale)
        self.complete(sale, [{"type": "cash", "amount": due, "tendered": amount}],
                      rounding=due - remaining, change=amount - due)
        self.after_completion(sale, cash=True)
        return self.view(sale)

    def complete(self, sale, payments, rounding=0, change=0):
        """Complete the sale with its last ``payments``, priced as it stands, naming the
        catalog version it was priced with so the hub can re-price it the same way."""
        self.journal.complete(sale, self.view(sale)["pricing"], payments, rounding=rounding,
                              change=change, catalog=self.catalog.version)

    def after_completion(self, sale, cash):
        """Drawer and receipt: hardware trouble never undoes a completed sale."""
        sale = self.journal.get(sale.uuid)
        self.outbox_written()
        if cash:
            self.open_drawer(sale)
        self.print_receipt(sale)

    def outbox_written(self):
        """A message for the hub was committed: the link sends it now."""
        if self.link is not None:
            self.link.notify()

    def open_drawer(self, sale=None):
        """Pulse the drawer open; a drawer that fails is reported, never blocks."""
        if self.devices.drawer is None:
            return
        try:
            self.devices.drawer.open()
        except self.devices.drawer_error as exc:
            self.notice = {"error": f"the cash drawer did not open: {exc}"}
            self.journal.audit("drawer.failed", self.operator and self.operator.id, None,
                               sale and sale.uuid, {"reason": str(exc)})

    def print_receipt(self, sale, reprint=False):
        """Print; if the printer cannot, the receipt is queued. A print that works means
        the printer is back: the queued receipts follow, oldest first."""
        if not self._print_one(sale, reprint):
            return False
        self.print_pending()
        return True

    def _print_one(self, sale, reprint=False):
        from .receipts import receipt_document

        printer = self.devices.printer
        document = receipt_document(self.catalog, self.view(sale), reprint=reprint)
        try:
            printer.print_receipt(document)
        except self.devices.printer_unavailable as exc:
            if not sale.receipt_pending:
                self.journal.set_receipt_pending(sale, True)
                self.journal.audit("receipt.queued", sale.cashier, None, sale.uuid,
                                   {"reason": str(exc)})
            return False
        self.journal.set_receipt_pending(sale, False)
        return True

    def print_pending(self):
        """Print the queued receipts oldest first, stopping when the printer fails; how
        many are still queued."""
        queued = self.journal.pending_receipts()
        for done, sale in enumerate(queued):
            if not self._print_one(sale):
                return len(queued) - done
        return 0

    def receipts_pending(self):
        """How many receipts wait for the printer (the kiosk shows it)."""
        return len(self.journal.pending_receipts())

    def print_queued_receipts(self, staff):
        """The cashier's "print queued receipts"; 503 while the printer still cannot."""
        with self.changing():
            queued = len(self.journal.pending_receipts())
            left = self.print_pending()
            self.journal.audit("receipt.queue_printed", staff.id, None, None,
                               {"printed": queued - left, "left": left})
            if left:
                raise TillError(f"printer unavailable: {left} receipt(s) stay queued", 503,
                                receipts_pending=left)
            return {"printed": queued, "pending": 0}

    def receipt_preview(self):
        """The last completed sale's receipt as a PNG, laid out as the printer prints it."""
        from drivers.printer.preview import render_preview

        from .receipts import receipt_document

        with self.lock:
            sale = self.journal.last_completed()
            if sale is None:
                raise TillError("no completed sale yet", 404)
            return render_preview(receipt_document(self.catalog, self.view(sale)))

    def reprint_last(self, staff):
        with self.changing():
            sale = self.journal.last_completed()
            if sale is None:
                raise TillError("no completed sale to reprint", 404)
            if not self.print_receipt(sale, reprint=True):
                raise TillError("printer unavailable: the receipt stays queued", 503)
            self.journal.audit("receipt.reprint", staff.id, None, sale.uuid, {})
            return self.view(sale)


def _percent(text):
    """A percent as the pricing contract writes it ("12.5"), in 1/10,000 %."""
    try:
        return parse_percent(text, "percent")
    except PricingError as exc:
        raise TillError(str(exc), 422) from None
