"""Whole numbers typed into forms, query strings and messages.

``str.isdigit`` lets through digits ``int`` refuses ("²") and strings so long that
``int`` refuses them or a database column overflows; this reads only ASCII digits, within
a bound, so bad input gets a message instead of a server error.
"""

# The largest row id either database holds (PostgreSQL's integer).
MAX_ID = 2**31 - 1


def whole_number(text, most, least=0):
    """The number ``text`` spells in ASCII digits if it is from ``least`` to ``most``,
    else None."""
    text = str(text if text is not None else "").strip()
    if not (text.isascii() and text.isdecimal()):
        return None
    if len(text.lstrip("0")) > len(str(most)):
        return None
    value = int(text)
    return value if least <= value <= most else None
