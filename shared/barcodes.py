"""What a scanned or keyed code is: a product (GTIN), a weighed or price-labelled item (GS1
variable-measure RCN), a Tilly receipt, or a loyalty card. One pure function, `classify`,
so the till, the hub and the tests agree on every code.

GTINs are returned in one normal form so the catalog can index a product once: EAN-13 and
UPC-A as 13 digits (UPC-A gets a leading 0), EAN-8 as 8 digits and GTIN-14 as 14, each with
any extra leading zeros dropped ("0000040123455" is the EAN-8 "40123455"). Classify every
catalog barcode and store `Scan.gtin`.

Variable-measure codes follow the store's GS1 region (biip's `RcnRegion` value, e.g. "de",
"se", "gb"); biip parses them and checks both check digits. `Scan.item` is biip's item
reference (the scale's PLU, e.g. "0101" in "2801010012345"), the same for a weight label and
a price label of one product, so the catalog stores it once as the product's `rcn_item`.
Prefixes the region gives no rule, and every 02/20-29 code when no region is set, are
in-store product numbers and classify as "gtin". Count-embedded codes are refused.

A GS1 element string (GS1-128, GS1 DataMatrix, group separators as sent by the scanner) with
AI (01) is a "gtin"; with (310n) net weight or (392n) amount payable as well it is
"variable" with `item` and `gtin` both the GTIN. When a label carries both, the price wins:
it is what the customer saw. Other GS1 forms (Digital Link URIs, UPC-E) are unknown formats.
"""
import re
from dataclasses import dataclass
from decimal import Decimal

from biip import ParseConfig, ParseError, parse
from biip.checksums import gs1_standard_check_digit
from biip.gs1_messages import GS1Message
from biip.gtin import Gtin, GtinFormat
from biip.rcn import Rcn, RcnRegion

__all__ = ["BarcodeError", "MAX_LENGTH", "Scan", "classify", "receipt_code"]

MAX_LENGTH = 64
PRICE_EXPONENT = 2  # every biip RCN region's currency (DKK, EUR, GBP, NOK, SEK) has cents
_GROUP_SEPARATOR = "\x1d"  # FNC1 in a GS1 element string, as scanners send it
_RECEIPT = re.compile(r"TS-([A-Z0-9]{1,8})-([1-9][0-9]*)")
_TILL = re.compile(r"[A-Z0-9]{1,8}")
_CARD = re.compile(r"[A-Z0-9]+")
_GTIN = re.compile(r"[0-9]{8}|[0-9]{12,14}")
# A GS1 element string starts with a numeric AI, maybe after a symbology identifier ("]C1")
_ELEMENT_STRING = re.compile(r"(?:\][A-Za-z][0-9])?[0-9]{2}")


class BarcodeError(ValueError):
    """A code that is not something the till can sell, look up or refund; says why."""


@dataclass(frozen=True)
class Scan:
    """A classified code. `kind` says which of the other fields are set:

    - "gtin": `gtin` (normal form, see the module docstring)
    - "variable": `item`, and exactly one of `weight_g` (grams) or `price` (minor units);
      `gtin` too for GS1 element strings
    - "receipt": `till`, `seq`
    - "loyalty": `card` (the whole code, prefix included)

    `code` is the scanned text, stripped of surrounding whitespace.
    """

    kind: str
    code: str
    gtin: str | None = None
    item: str | None = None
    weight_g: int | None = None
    price: int | None = None
    till: str | None = None
    seq: int | None = None
    card: str | None = None


def receipt_code(till: str, seq: int) -> str:
    """The barcode printed on a receipt: "TS-<till>-<seq>", which `classify` reads back."""
    if not isinstance(till, str) or not _TILL.fullmatch(till):
        raise BarcodeError(f"till id {till!r} must be 1-8 characters A-Z or 0-9")
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 1:
        raise BarcodeError(f"receipt sequence number {seq!r} must be an int >= 1")
    code = f"TS-{till}-{seq}"
    if len(code) > MAX_LENGTH:
        raise BarcodeError(f"receipt sequence number {seq} is too large for a barcode")
    return code


def classify(code: str, rcn_region: str | None = None, *,
             loyalty_prefix: str | None = None) -> Scan:
    """Classify one scanned or keyed code; BarcodeError says why a code is refused.

    `rcn_region` is the store's GS1 region for variable-measure codes (a biip `RcnRegion`
    value such as "de"), `loyalty_prefix` the store's loyalty card prefix (A-Z, 0-9). Both
    are store configuration: a bad value raises a plain ValueError. Receipts are recognised
    first, then loyalty cards (so a digit prefix wins over GTINs), then GS1 codes.
    """
    config = ParseConfig(rcn_region=_region(rcn_region))
    if loyalty_prefix is not None and not (
            isinstance(loyalty_prefix, str) and _CARD.fullmatch(loyalty_prefix)):
        raise ValueError(f"loyalty_prefix {loyalty_prefix!r} must be letters A-Z or digits")
    text = _clean(code)
    receipt = _RECEIPT.fullmatch(text)
    if receipt:
        return Scan("receipt", text, till=receipt[1], seq=int(receipt[2]))
    if loyalty_prefix and text.startswith(loyalty_prefix):
        if not _CARD.fullmatch(text[len(loyalty_prefix):]):
            raise BarcodeError(f"loyalty card {text!r}: expected letters A-Z or digits "
                               f"after the prefix {loyalty_prefix!r}")
        return Scan("loyalty", text, card=text)
    if _GTIN.fullmatch(text):
        return _from_gtin(text, _parse_gtin(text, config))
    return _from_element_strings(text, config)


def _region(rcn_region: str | None) -> RcnRegion | None:
    if rcn_region is None:
        return None
    try:
        return RcnRegion(rcn_region)
    except ValueError:
        known = ", ".join(region.value for region in RcnRegion)
        raise ValueError(f"rcn_region {rcn_region!r} is not a GS1 region biip knows "
                         f"(one of {known})") from None


def _clean(code: str) -> str:
    if not isinstance(code, str):
        raise BarcodeError(f"a barcode is text, not {type(code).__name__}")
    text = code.strip()
    if not text:
        raise BarcodeError("empty barcode")
    if len(text) > MAX_LENGTH:
        raise BarcodeError(f"barcode too long: {len(text)} characters (at most {MAX_LENGTH})")
    for position, char in enumerate(text):
        if char != _GROUP_SEPARATOR and not char.isprintable():
            raise BarcodeError(f"barcode not printable: U+{ord(char):04X} at position "
                               f"{position + 1}")
    return text


def _parse_gtin(text: str, config: ParseConfig) -> Gtin:
    expected = gs1_standard_check_digit(text[:-1])
    if int(text[-1]) != expected:
        raise BarcodeError(f"GTIN {text}: check digit wrong: expected {expected}, "
                           f"got {text[-1]}")
    try:
        return Gtin.parse(text, config=config)
    except ParseError as exc:  # the variable measure's own check digit
        raise BarcodeError(f"variable-measure code {text}: {exc}") from None


def _from_gtin(text: str, gtin: Gtin) -> Scan:
    if isinstance(gtin, Rcn) and gtin.count is not None:
        raise BarcodeError(f"variable-measure code {text}: count-embedded codes (prefix "
                           f"{gtin.as_gtin_13()[:2]}) are not supported")
    if isinstance(gtin, Rcn) and gtin.weight is not None:
        return Scan("variable", text, item=gtin.item_reference,
                    weight_g=_measure(text, gtin.weight, 3, "weight"))
    if isinstance(gtin, Rcn) and gtin.price is not None:
        return Scan("variable", text, item=gtin.item_reference,
                    price=_measure(text, gtin.price, PRICE_EXPONENT, "price"))
    return Scan("gtin", text, gtin=_normal_form(gtin))


def _normal_form(gtin: Gtin) -> str:
    if gtin.format in (GtinFormat.GTIN_12, GtinFormat.GTIN_13):
        return gtin.as_gtin_13()
    if gtin.format == GtinFormat.GTIN_8:
        return gtin.as_gtin_8()
    return gtin.as_gtin_14()


def _measure(text: str, value: Decimal, exponent: int, what: str) -> int:
    """Exact integer grams or minor units from biip's Decimal kilograms or currency units."""
    scaled = value.scaleb(exponent)
    if scaled != scaled.to_integral_value():
        raise BarcodeError(f"{text}: {what} {value} is finer than the till counts")
    if scaled <= 0:
        raise BarcodeError(f"{text}: {what} is zero")
    return int(scaled)


def _from_element_strings(text: str, config: ParseConfig) -> Scan:
    message: GS1Message | None = None
    if _ELEMENT_STRING.match(text):
        try:
            message = parse(text, config=config).gs1_message
        except ParseError:  # an unknown symbology identifier
            pass
    gtin_element = message and message.element_strings.get(ai="01")
    if gtin_element is None:
        raise BarcodeError(f"unknown barcode format: {text!r}")
    if gtin_element.gtin is None:
        raise BarcodeError(f"GS1 element string {text!r}: {gtin_element.gtin_error}")
    scan = _from_gtin(gtin_element.value, gtin_element.gtin)
    if scan.kind == "variable":
        return Scan("variable", text, item=scan.item, weight_g=scan.weight_g, price=scan.price)
    price = message.element_strings.get(ai="392")
    if price is not None:
        return Scan("variable", text, gtin=scan.gtin, item=scan.gtin,
                    price=_measure(text, price.decimal, PRICE_EXPONENT, "price"))
    weight = message.element_strings.get(ai="310")
    if weight is not None:
        return Scan("variable", text, gtin=scan.gtin, item=scan.gtin,
                    weight_g=_measure(text, weight.decimal, 3, "weight"))
    return Scan("gtin", text, gtin=scan.gtin)
