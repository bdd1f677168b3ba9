"""Money as integers in minor units (cents, pence): formatting for screens and receipts and
parsing what a cashier keys in. Never floats."""
import re

_AMOUNT = re.compile(r"(\d{1,18})(?:[.,](\d+))?")


def format_money(minor: int, exponent: int = 2, symbol: str = "") -> str:
    """1234 -> "12.34" (or "£12.34" with a symbol); negative amounts get a leading "-"."""
    if not isinstance(minor, int) or isinstance(minor, bool):
        raise TypeError(f"money must be an int of minor units, not {type(minor).__name__}")
    sign = "-" if minor < 0 else ""
    units, cents = divmod(abs(minor), 10 ** exponent)
    text = f"{units}.{cents:0{exponent}d}" if exponent else str(units)
    return f"{sign}{symbol}{text}"


def parse_money(text: str, exponent: int = 2) -> int:
    """"12.34", "12,3" or "12" -> minor units; ValueError with a clear message otherwise."""
    match = _AMOUNT.fullmatch(text.strip()) if isinstance(text, str) else None
    if match is None:
        raise ValueError(f"not an amount: {text!r} (expected digits, e.g. 12.50)")
    whole, fraction = match.group(1), match.group(2) or ""
    if len(fraction) > exponent:
        raise ValueError(f"not an amount: {text!r} (at most {exponent} decimals)")
    return int(whole) * 10 ** exponent + int(fraction.ljust(exponent, "0") or 0)
