"""Campaign coupon codes: unique per customer, yet checked by a till that is offline.

A campaign (``hub/campaigns.py``) has a code prefix, e.g. ``SPRING``, and a secret key that
reaches its stores' tills in the catalog. Each customer it targets gets a code of the
prefix, a serial number and a tag, the first 40 bits of an HMAC-SHA256 of both under the
key: ``SPRING-0G1M-Z4QH-7KXD`` as printed. A till checks the tag with the key, so a code that was
never issued, or mistyped, is refused at the counter with no hub; the serial tells the hub
who the code was issued to when the sale comes in, and a code used twice (at two tills
offline at once) is seen there.

The campaign's promotion has the prefix as its ``coupon``: ``engine_coupons`` adds the
prefix of each campaign code a sale holds, so the till and the hub's re-pricing switch the
promotion on the same way, from the codes as the customer presented them.

The twelve characters after the prefix are Crockford base32 (no I, L, O, U); they are read
back case-blind, with O as 0 and I or L as 1, and with any spaces or dashes.
"""
import hashlib
import hmac
import re
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_READ_AS = {"O": "0", "I": "1", "L": "1"}
PREFIX = re.compile(r"[A-Z][A-Z0-9]{1,9}")
SERIAL_BITS, TAG_BITS = 20, 40
MAX_SERIAL = 2**SERIAL_BITS - 1  # codes a campaign can issue
_BODY_LENGTH = (SERIAL_BITS + TAG_BITS) // 5
_SHAPE = re.compile(rf"([A-Z][A-Z0-9]{{1,9}})-([{ALPHABET}]{{{_BODY_LENGTH}}})")


class CouponError(ValueError):
    """A code that cannot be used; the message says why, for the cashier."""


def new_key():
    """A campaign's secret: 128 random bits as hex."""
    return secrets.token_hex(16)


def check_prefix(prefix):
    """The prefix, upper-cased, or CouponError saying what a prefix may be."""
    prefix = str(prefix or "").strip().upper()
    if not PREFIX.fullmatch(prefix):
        raise CouponError("a code prefix is 2 to 10 letters or digits, starting with a letter")
    return prefix


def _tag(key, prefix, serial):
    digest = hmac.new(bytes.fromhex(key), f"{prefix}:{serial}".encode(), hashlib.sha256)
    return int.from_bytes(digest.digest()[:TAG_BITS // 8], "big")


def make_code(prefix, key, serial):
    """Code number ``serial`` (1 to MAX_SERIAL) of the campaign with this prefix and key,
    normalized (``display`` groups it for print)."""
    if not 1 <= serial <= MAX_SERIAL:
        raise ValueError(f"a campaign issues codes 1 to {MAX_SERIAL}, not {serial}")
    number = (serial << TAG_BITS) | _tag(key, prefix, serial)
    body = "".join(ALPHABET[(number >> shift) & 31]
                   for shift in range(SERIAL_BITS + TAG_BITS - 5, -1, -5))
    return f"{prefix}-{body}"


def normalize(text):
    """A code as typed or scanned, in the form it is kept: upper case, no spaces; a
    campaign code's body unbroken, with O, I and L read as digits. Empty: CouponError."""
    code = re.sub(r"\s+", "", str(text or "")).upper()
    if not code:
        raise CouponError("enter a coupon code")
    if len(code) > 40:
        raise CouponError("a coupon code has at most 40 characters")
    prefix, dash, rest = code.partition("-")
    if dash and PREFIX.fullmatch(prefix):
        body = "".join(_READ_AS.get(char, char) for char in rest.replace("-", ""))
        if len(body) == _BODY_LENGTH and all(char in ALPHABET for char in body):
            return f"{prefix}-{body}"
    return code


def split(code):
    """``(prefix, body)`` of a normalized campaign code, or None for any other code."""
    match = _SHAPE.fullmatch(code)
    return match.groups() if match else None


def is_campaign_shaped(code):
    """True for a code that reads as a campaign code (a plain coupon may not look so)."""
    return split(normalize(code)) is not None


def serial_of(code, key):
    """The serial number of a normalized campaign ``code`` if its tag is right under
    ``key``; CouponError otherwise."""
    parts = split(code)
    if parts is None:
        raise CouponError(f"{code} is not a campaign code")
    prefix, body = parts
    number = 0
    for char in body:
        number = number * 32 + ALPHABET.index(char)
    serial, tag = number >> TAG_BITS, number & (2**TAG_BITS - 1)
    if serial < 1 or not hmac.compare_digest(tag.to_bytes(5, "big"),
                                             _tag(key, prefix, serial).to_bytes(5, "big")):
        raise CouponError(f"{display(code)} is not a valid code of this campaign: "
                          "check it for a typing mistake")
    return serial


def display(code):
    """A normalized code as it is printed: a campaign code's body in groups of four."""
    parts = split(code)
    if parts is None:
        return code
    prefix, body = parts
    return f"{prefix}-{body[:4]}-{body[4:8]}-{body[8:]}"


def engine_coupons(coupons):
    """What the pricing engine is given for a sale's coupons: the codes, and the prefix of
    each campaign code (its campaign's promotion has the prefix as its coupon)."""
    codes = [str(code) for code in coupons or ()]
    prefixes = {parts[0] for parts in map(split, codes) if parts}
    return codes + sorted(prefixes - set(codes))
