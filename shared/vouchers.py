"""Voucher codes, as the hub issues them and tills read them: 16 characters of an
alphabet without 0/O, 1/I/L, U/V (about 78 bits), printed in groups of four."""
import secrets

ALPHABET = "ABCDEFGHJKMNPQRSTWXYZ23456789"
CODE_LENGTH = 16


def new_code():
    """A new unguessable code, in its printed form."""
    return _grouped("".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH)))


def _grouped(raw):
    return "-".join(raw[index:index + 4] for index in range(0, CODE_LENGTH, 4))


def normalize_code(text):
    """A code as typed or scanned (any case, spaces or dashes) in its printed form, or the
    text stripped when it is not one (it then names no voucher)."""
    raw = "".join(ch for ch in str(text).upper() if ch not in " -")
    return _grouped(raw) if len(raw) == CODE_LENGTH else str(text).strip()
