"""What each key types on the keyboard layouts a scanner can be set to: US, UK, DE and FR.

A USB scanner sends key codes for the layout it was configured with, so the same code is
"z" on a US scanner and "y" on a German one. Rows below read like the key caps, left to
right; a space marks a key that types nothing on that level (absent or a dead key).
Only what Linux and Windows agree on is listed; dead keys (DE ^ ´ `, FR ^ ¨) are left out.
"""
from dataclasses import dataclass

from evdev import ecodes as e

from drivers.scanner import ScannerError

PLAIN, SHIFT, ALTGR = 0, 1, 2

_ROWS = (
    (e.KEY_GRAVE, e.KEY_1, e.KEY_2, e.KEY_3, e.KEY_4, e.KEY_5, e.KEY_6, e.KEY_7, e.KEY_8,
     e.KEY_9, e.KEY_0, e.KEY_MINUS, e.KEY_EQUAL),
    (e.KEY_Q, e.KEY_W, e.KEY_E, e.KEY_R, e.KEY_T, e.KEY_Y, e.KEY_U, e.KEY_I, e.KEY_O, e.KEY_P,
     e.KEY_LEFTBRACE, e.KEY_RIGHTBRACE),
    (e.KEY_A, e.KEY_S, e.KEY_D, e.KEY_F, e.KEY_G, e.KEY_H, e.KEY_J, e.KEY_K, e.KEY_L,
     e.KEY_SEMICOLON, e.KEY_APOSTROPHE, e.KEY_BACKSLASH),
    (e.KEY_102ND, e.KEY_Z, e.KEY_X, e.KEY_C, e.KEY_V, e.KEY_B, e.KEY_N, e.KEY_M, e.KEY_COMMA,
     e.KEY_DOT, e.KEY_SLASH),
)

# Keypad keys type the same on every layout (Num Lock on, as scanners in keypad mode expect);
# the encoder never uses them.
_KEYPAD = {
    e.KEY_KP0: "0", e.KEY_KP1: "1", e.KEY_KP2: "2", e.KEY_KP3: "3", e.KEY_KP4: "4",
    e.KEY_KP5: "5", e.KEY_KP6: "6", e.KEY_KP7: "7", e.KEY_KP8: "8", e.KEY_KP9: "9",
    e.KEY_KPMINUS: "-", e.KEY_KPPLUS: "+", e.KEY_KPSLASH: "/", e.KEY_KPASTERISK: "*",
}

ENTER_KEYS = frozenset({e.KEY_ENTER, e.KEY_KPENTER})
SHIFT_KEYS = frozenset({e.KEY_LEFTSHIFT, e.KEY_RIGHTSHIFT})
ALTGR_KEY = e.KEY_RIGHTALT
CAPSLOCK_KEY = e.KEY_CAPSLOCK


@dataclass(frozen=True)
class Keymap:
    """One layout, both ways: ``keys`` for decoding, ``strokes`` for typing text."""

    keys: dict[int, tuple[str, str, str]]  # key code -> (plain, Shift, AltGr), "" for nothing
    strokes: dict[str, tuple[int, int]]  # character -> (key code, level) that types it

    def char(self, code: int, shift: bool, altgr: bool, caps: bool) -> str:
        """The character a key types, "" if none. Caps Lock only swaps the case of letters
        whose Shift level is their capital: on AZERTY it leaves é and the digits alone."""
        plain, shifted, alternate = self.keys.get(code, ("", "", ""))
        if altgr:
            return "" if shift else alternate
        if caps and plain.isalpha() and shifted == plain.upper():
            shift = not shift
        return shifted if shift else plain


def _keymap(plain: tuple[str, ...], shift: tuple[str, ...], altgr: dict[int, str]) -> Keymap:
    keys = {e.KEY_SPACE: (" ", " ", "")}
    for codes, plain_row, shift_row in zip(_ROWS, plain, shift, strict=True):
        for code, low, high in zip(codes, plain_row, shift_row, strict=True):
            keys[code] = (low.strip(), high.strip(), altgr.get(code, ""))
    strokes: dict[str, tuple[int, int]] = {}
    for level in (PLAIN, SHIFT, ALTGR):
        for code, chars in keys.items():
            if chars[level]:
                strokes.setdefault(chars[level], (code, level))
    keys.update((code, (char, "", "")) for code, char in _KEYPAD.items())
    return Keymap(keys, strokes)


KEYMAPS = {
    "us": _keymap(
        ("`1234567890-=", "qwertyuiop[]", "asdfghjkl;'\\", " zxcvbnm,./"),
        ("~!@#$%^&*()_+", "QWERTYUIOP{}", 'ASDFGHJKL:"|', " ZXCVBNM<>?"),
        {},
    ),
    "uk": _keymap(
        ("`1234567890-=", "qwertyuiop[]", "asdfghjkl;'#", "\\zxcvbnm,./"),
        ('¬!"£$%^&*()_+', "QWERTYUIOP{}", "ASDFGHJKL:@~", "|ZXCVBNM<>?"),
        {e.KEY_4: "€"},
    ),
    "de": _keymap(
        (" 1234567890ß ", "qwertzuiopü+", "asdfghjklöä#", "<yxcvbnm,.-"),
        ('°!"§$%&/()=? ', "QWERTZUIOPÜ*", "ASDFGHJKLÖÄ'", ">YXCVBNM;:_"),
        {e.KEY_Q: "@", e.KEY_E: "€", e.KEY_2: "²", e.KEY_3: "³", e.KEY_7: "{", e.KEY_8: "[",
         e.KEY_9: "]", e.KEY_0: "}", e.KEY_MINUS: "\\", e.KEY_RIGHTBRACE: "~",
         e.KEY_102ND: "|", e.KEY_M: "µ"},
    ),
    "fr": _keymap(
        ("²&é\"'(-è_çà)=", "azertyuiop $", "qsdfghjklmù*", "<wxcvbn,;:!"),
        (" 1234567890°+", "AZERTYUIOP £", "QSDFGHJKLM%µ", ">WXCVBN?./§"),
        {e.KEY_2: "~", e.KEY_3: "#", e.KEY_4: "{", e.KEY_5: "[", e.KEY_6: "|", e.KEY_7: "`",
         e.KEY_8: "\\", e.KEY_9: "^", e.KEY_0: "@", e.KEY_MINUS: "]", e.KEY_EQUAL: "}",
         e.KEY_E: "€"},
    ),
}
LAYOUTS = tuple(KEYMAPS)


def keymap(layout: str) -> Keymap:
    """The keymap of ``layout``; ScannerError naming the layouts there are otherwise."""
    try:
        return KEYMAPS[layout]
    except (KeyError, TypeError):
        raise ScannerError(
            f"layout: unknown {layout!r} (expected one of {', '.join(LAYOUTS)})"
        ) from None


def charset(layout: str) -> frozenset[str]:
    """Every character a scanner set to ``layout`` can type (what ``encode`` accepts)."""
    return frozenset(keymap(layout).strokes)
