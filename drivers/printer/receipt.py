"""Receipt layout: the till's sale document as lines of text for a paper width, and those same
lines rendered onto any python-escpos printer object (a real one, or a Dummy).

The layout is a pure function so the printed receipt, the saved .txt copy and the on-screen
preview can never disagree about wrapping or alignment. Amounts in the document are ints in
minor units, positive for sales and refunds alike; a refund is presented negated.
"""
import textwrap
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from shared.money import format_money

MIN_WIDTH, MAX_WIDTH = 24, 80
CODES = ("code128", "qr", "both", "none")
DOTS_PER_COLUMN = 12  # font A is 12 dots wide: 32 columns on 58 mm paper, 42 on 80 mm
MAX_BARCODE = 24
_INDENT = 2
_REQUIRED = object()


class InvalidReceipt(ValueError):
    """The receipt document is malformed; the message names the offending field."""


@dataclass(frozen=True)
class Line:
    """One receipt line: `text` is what a plain-text copy shows, never wider than the paper.

    `style` is normal, bold, title (double size), banner (inverted), barcode or qr; codes
    carry their payload in `data` and show it as text.
    """

    text: str
    style: str = "normal"
    data: str = ""


def layout(document: Mapping, width: int = 42, code: str = "code128") -> list[Line]:
    """The receipt as lines at most `width` characters wide; InvalidReceipt if malformed."""
    if isinstance(width, bool) or not isinstance(width, int) or not MIN_WIDTH <= width <= MAX_WIDTH:
        raise ValueError(f"receipt width must be an int from {MIN_WIDTH} to {MAX_WIDTH}")
    if code not in CODES:
        raise ValueError(f"receipt code must be one of {', '.join(CODES)}, not {code!r}")
    if not isinstance(document, Mapping):
        raise InvalidReceipt(f"a receipt document is a dict, not {type(document).__name__}")
    receipt = _Receipt(document, width)
    receipt.header()
    receipt.items()
    receipt.totals()
    receipt.codes(code)
    receipt.footer()
    return receipt.lines


def plain_text(lines: list[Line]) -> str:
    """The lines as the text of a .txt copy."""
    return "".join(f"{line.text}\n" for line in lines)


def render(printer, document: Mapping, *, width: int = 42, code: str = "code128",
           cut: bool = True) -> list[Line]:
    """Print the document on a python-escpos printer object; returns the lines printed."""
    lines = layout(document, width, code)
    printer.hw("INIT")
    for line in lines:
        if line.style == "barcode":
            _print_barcode(printer, line, width)
        elif line.style == "qr":
            _print_qr(printer, line)
        else:
            _print_text(printer, line)
    if cut:
        printer.cut()
    return lines


def code128_modules(data: str) -> int:
    """Width of a Code 128 set B symbol in modules: start, data, check, stop."""
    return 11 * (len(data) + 2) + 13


_TEXT_STYLES = {
    "normal": {},
    "bold": {"bold": True},
    "title": {"align": "center", "bold": True, "double_width": True, "double_height": True},
    "banner": {"align": "center", "bold": True, "invert": True},
}


def _print_text(printer, line: Line) -> None:
    style = _TEXT_STYLES[line.style]
    if not style:
        printer.textln(line.text)
        return
    printer.set(**style)
    printer.textln(line.text.strip() if "align" in style else line.text)
    printer.set_with_default()


def _can_print_images(printer) -> bool:
    modes = ("bitImageRaster", "bitImageColumn", "graphics")
    return any(printer.profile.supports(mode) for mode in modes)


def _print_barcode(printer, line: Line, width: int) -> None:
    module = 3 if 3 * code128_modules(line.data) <= width * DOTS_PER_COLUMN else 2
    if printer.profile.supports("barcodeB"):
        # The printer's own Code 128 wants the code set first; "{" itself is escaped as "{{".
        printer.barcode("{B" + line.data.replace("{", "{{"), "CODE128", width=module,
                        function_type="B")
    elif _can_print_images(printer):
        printer.barcode(line.data, "CODE128", width=module, force_software=True)
    else:
        printer.textln(line.text)
    printer.set(align="left")


def _print_qr(printer, line: Line) -> None:
    if printer.profile.supports("qrCode"):
        printer.set(align="center")
        printer.qr(line.data, size=6, native=True)
        printer.set(align="left")
    elif _can_print_images(printer):
        printer.qr(line.data, size=6, center=True)
    else:
        printer.textln(line.text)


class _Receipt:
    """Builds the lines section by section, reading and checking the document as it goes."""

    def __init__(self, document: Mapping, width: int) -> None:
        self.doc = document
        self.width = width
        self.lines: list[Line] = []
        currency = _get(document, "currency", Mapping, "", {})
        self.exponent = _get(currency, "exponent", int, "currency.", 2)
        if not 0 <= self.exponent <= 4:
            raise InvalidReceipt("receipt field currency.exponent must be from 0 to 4")
        self.symbol = _text(currency, "symbol", "currency.", "")
        kind = _get(document, "kind", str, "", "sale")
        if kind not in ("sale", "refund"):
            raise InvalidReceipt(f"receipt field kind must be 'sale' or 'refund', not {kind!r}")
        self.refund = kind == "refund"

    # -- building blocks ---------------------------------------------------------------------
    def money(self, minor: int, symbol: bool = False) -> str:
        """An amount as presented: negated on a refund."""
        sign = -1 if self.refund else 1
        return format_money(sign * minor, self.exponent, self.symbol if symbol else "")

    def add(self, text: str, style: str = "normal") -> None:
        self.lines.append(Line(text.rstrip(), style))

    def centre(self, text: str, style: str = "normal", columns: int = 0) -> None:
        for chunk in _wrap(text, columns or self.width):
            self.add(chunk.strip().center(self.width), style)

    def pair(self, left: str, right: str = "", indent: int = 0, style: str = "normal") -> None:
        for text in _columns(left, right, self.width, indent):
            self.add(text, style)

    def rule(self) -> None:
        self.add("-" * self.width)

    # -- sections ----------------------------------------------------------------------------
    def header(self) -> None:
        doc = self.doc
        store = _get(doc, "store", Mapping, "")
        # Double width halves the columns of the store name.
        self.centre(_text(store, "name", "store."), "title", self.width // 2)
        for i, part in enumerate(_get(store, "address", (list, tuple), "store.", ())):
            self.centre(_clean(_check(part, str, f"store.address[{i}]")))
        phone = _text(store, "phone", "store.", "")
        if phone:
            self.centre(f"Tel {phone}")
        tax_id = _text(store, "tax_id", "store.", "")
        if tax_id:
            self.centre(f"Tax ID {tax_id}")
        self.add("")
        if self.refund:
            self.centre("*** REFUND ***", "banner")
        if _get(doc, "reprint", bool, "", False):
            self.centre("*** REPRINT ***", "banner")
        till = _text(doc, "till", "", "")
        kind = "Refund" if self.refund else "Sale"
        self.pair(f"{kind} {_text(doc, 'sale_ref', '')}", f"Till {till}" if till else "")
        cashier = _text(doc, "cashier", "", "")
        self.pair(_timestamp(doc), f"Cashier: {cashier}" if cashier else "")
        customer = _get(doc, "customer", Mapping, "", None)
        if customer is not None:
            name = _text(customer, "name", "customer.", "")
            if name:
                self.pair(f"Customer: {name}")
            card = _text(customer, "card", "customer.", "")
            if card:
                self.pair(f"Card ***{card[-4:]}")
        self.rule()

    def items(self) -> None:
        for i, item in enumerate(_get(self.doc, "lines", (list, tuple), "")):
            where = f"lines[{i}]."
            _check(item, Mapping, f"lines[{i}]")
            self.pair(_text(item, "name", where), self.money(_get(item, "base", int, where)))
            qty = _get(item, "qty", int, where, None)
            weight = _get(item, "weight_g", int, where, None)
            if weight is not None or qty not in (None, 1):
                unit = format_money(_get(item, "unit_price", int, where), self.exponent)
                if weight is None:
                    self.pair(f"{qty} x {unit}", indent=_INDENT)
                elif weight < 0:
                    raise InvalidReceipt(f"receipt field {where}weight_g must not be negative")
                else:
                    kilos, grams = divmod(weight, 1000)
                    self.pair(f"{kilos}.{grams:03d} kg @ {unit}/kg", indent=_INDENT)
            for j, discount in enumerate(_get(item, "discounts", (list, tuple), where, ())):
                at = f"{where}discounts[{j}]."
                _check(discount, Mapping, at[:-1])
                name = _text(discount, "name", at, "") or _text(discount, "promotion", at, "")
                self.pair(name or "Discount", self.money(-_get(discount, "amount", int, at)),
                          indent=_INDENT)
        self.rule()

    def totals(self) -> None:
        doc = self.doc
        total = _get(doc, "total", int, "")
        self.pair("Subtotal", self.money(_get(doc, "subtotal", int, "")))
        savings = _get(doc, "total_savings", int, "", 0)
        if savings > 0 and not self.refund:
            self.pair(f"You saved {format_money(savings, self.exponent, self.symbol)}")
        for i, coupon in enumerate(_get(doc, "coupons", (list, tuple), "", ())):
            self.pair(f"Coupon {_clean(_check(coupon, str, f'coupons[{i}]'))}")
        basket = _get(doc, "basket_discount", int, "", 0)
        if basket:
            self.pair("Basket discount", self.money(-basket))
        mode = _get(doc, "tax_mode", str, "", "exclusive")
        if mode not in ("inclusive", "exclusive"):
            raise InvalidReceipt(f"receipt field tax_mode must be inclusive or exclusive, "
                                 f"not {mode!r}")
        for i, tax in enumerate(_get(doc, "taxes", (list, tuple), "", ())):
            at = f"taxes[{i}]."
            _check(tax, Mapping, at[:-1])
            name = _text(tax, "name", at, "") or _text(tax, "id", at, "Tax")
            label = f"{name} incl." if mode == "inclusive" else name
            self.pair(label, self.money(_get(tax, "amount", int, at)))
        self.pair("TOTAL", self.money(total, symbol=True), style="bold")
        tenders = []
        for i, tender in enumerate(_get(doc, "tenders", (list, tuple), "", ())):
            at = f"tenders[{i}]."
            _check(tender, Mapping, at[:-1])
            kind = _text(tender, "type", at)
            tenders.append((kind, _text(tender, "label", at, "") or kind.title(),
                            _get(tender, "amount", int, at)))
        paid_cash = any(kind == "cash" for kind, _, _ in tenders)
        cash_total = _get(doc, "cash_total", int, "", total)
        if paid_cash and cash_total != total:
            self.pair("Cash rounding", self.money(cash_total - total))
        for _, label, amount in tenders:
            self.pair(label, self.money(amount))
        change = _get(doc, "change", int, "", 0)
        if change or paid_cash:
            self.pair("Change", self.money(change))
        self.rule()

    def codes(self, code: str) -> None:
        data = _get(self.doc, "barcode", str, "", "")
        if not data or code == "none":
            return
        if len(data) > MAX_BARCODE or not all(" " <= c <= "~" for c in data):
            raise InvalidReceipt(f"receipt field barcode must be 1-{MAX_BARCODE} printable "
                                 f"ASCII characters, not {data!r}")
        # A Code 128 that would not fit the paper even at the narrowest module becomes a QR code.
        fits = 2 * code128_modules(data) <= self.width * DOTS_PER_COLUMN
        if code in ("code128", "both") and fits:
            self.lines.append(Line(data.center(self.width).rstrip(), "barcode", data))
        if code in ("qr", "both") or not fits:
            self.lines.append(Line(data.center(self.width).rstrip(), "qr", data))

    def footer(self) -> None:
        footer = _get(self.doc["store"], "footer", str, "store.", "")
        for part in footer.splitlines():
            self.centre(_clean(part))


# -- text helpers ----------------------------------------------------------------------------
def _clean(text: str) -> str:
    """Printable text only: a control character (ESC!) in a name must never reach the printer."""
    text = unicodedata.normalize("NFC", text)
    return "".join(" " if unicodedata.category(c)[0] == "C" else c for c in text).strip()


def _wrap(text: str, width: int, indent: int = 0) -> list[str]:
    pad = " " * indent
    return textwrap.wrap(text, width, initial_indent=pad, subsequent_indent=pad,
                         break_on_hyphens=False) or [pad]


def _columns(left: str, right: str, width: int, indent: int = 0) -> list[str]:
    """`left` wrapped with `right` right-aligned on its first line; a `right` too wide to share
    a line goes, right-aligned, on lines of its own."""
    if not right:
        return _wrap(left, width, indent)
    room = width - len(right) - 1
    if room < width // 3:
        return [*_wrap(left, width, indent), *(r.rjust(width) for r in _wrap(right, width))]
    first, *rest = _wrap(left, room, indent)
    return [first.ljust(room) + " " + right, *rest]


# -- document access -------------------------------------------------------------------------
def _check(value, kind, name: str):
    types = kind if isinstance(kind, tuple) else (kind,)
    if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
        expected = " or ".join(t.__name__ for t in types)
        raise InvalidReceipt(f"receipt field {name} must be {expected}, "
                             f"not {type(value).__name__}")
    return value


def _get(mapping: Mapping, key: str, kind, where: str, default=_REQUIRED):
    """mapping[key] checked against `kind`; a missing or null key gives `default`."""
    value = mapping.get(key)
    if value is None:
        if default is _REQUIRED:
            raise InvalidReceipt(f"receipt field {where}{key} is missing")
        return default
    return _check(value, kind, where + key)


def _text(mapping: Mapping, key: str, where: str, default=_REQUIRED) -> str:
    return _clean(_get(mapping, key, str, where, default))


def _timestamp(doc: Mapping) -> str:
    value = _get(doc, "timestamp", str, "")
    try:
        return datetime.fromisoformat(value).strftime("%Y-%m-%d %H:%M")
    except ValueError:
        raise InvalidReceipt(f"receipt field timestamp is not ISO 8601: {value!r}") from None
