"""Key events to codes and back, without I/O: the same code runs on a till and in tests.

A scanner types a code in a burst of key presses a few milliseconds apart and ends it with
Enter. A longer pause means a person at a keyboard or a glitch, so the partial code is
dropped; so are a bare Enter and runaway input longer than ``MAX_LENGTH``. Dropped input
never raises: it is reported to ``on_reject(reason, text)`` so the till can log it.
"""
from collections.abc import Iterable

from evdev import InputEvent
from evdev import ecodes as e

from drivers.scanner import DEFAULT_TIMEOUT_MS, OnReject, Rejection, ScannerError
from drivers.scanner.keymaps import (
    ALTGR,
    ALTGR_KEY,
    CAPSLOCK_KEY,
    ENTER_KEYS,
    PLAIN,
    SHIFT,
    SHIFT_KEYS,
    keymap,
)

MAX_LENGTH = 256
TYPING_INTERVAL_S = 0.005  # between key presses of a typical scanner
_MODIFIERS = {SHIFT: (e.KEY_LEFTSHIFT,), ALTGR: (ALTGR_KEY,)}


class Decoder:
    """Feed it a scanner's events one by one; it returns each code when Enter ends it.

    Events are ``evdev.InputEvent``s, ``(seconds, type, code, value)`` or ``(sec, usec, type,
    code, value)``. Only key presses (value 1) type; releases and autorepeat do not.
    """

    def __init__(
        self,
        layout: str = "us",
        timeout_ms: float = DEFAULT_TIMEOUT_MS,
        on_reject: OnReject | None = None,
    ):
        self._keymap = keymap(layout)
        self._timeout_us = round(timeout_ms * 1000)
        self._on_reject = on_reject
        self._buffer: list[str] = []
        self._overflowed = False  # dropped as too long; ignore keys until Enter or a pause
        self._last_press_us: int | None = None
        self._shifts: set[int] = set()
        self._altgr = False
        self._capslock = False

    def feed(self, event: InputEvent | tuple) -> str | None:
        """The code this event completes, or None."""
        time_us, kind, code, value = _unpack(event)
        if kind != e.EV_KEY:
            return None
        if code in SHIFT_KEYS and value:
            self._shifts.add(code)
        elif code in SHIFT_KEYS:
            self._shifts.discard(code)
        elif code == ALTGR_KEY:
            self._altgr = bool(value)
        if value != 1:
            return None
        timed_out = self._drop_stale(time_us)
        if code == CAPSLOCK_KEY:
            self._capslock = not self._capslock
        elif code in ENTER_KEYS:
            return None if timed_out else self._end()
        else:
            self._type(self._keymap.char(code, bool(self._shifts), self._altgr, self._capslock))
        return None

    def _drop_stale(self, time_us: int) -> bool:
        """Drop the code in progress if this press comes too long after the last one;
        True if there was one to drop."""
        last, self._last_press_us = self._last_press_us, time_us
        if last is None or time_us - last <= self._timeout_us:
            return False
        self._overflowed = False
        if not self._buffer:
            return False
        self._reject(Rejection.TIMEOUT)
        return True

    def _type(self, char: str) -> None:
        if not char or self._overflowed:
            return
        self._buffer.append(char)
        if len(self._buffer) > MAX_LENGTH:
            self._reject(Rejection.TOO_LONG)
            self._overflowed = True

    def _end(self) -> str | None:
        if self._overflowed:
            self._overflowed = False
            return None
        if not self._buffer:
            self._reject(Rejection.EMPTY)
            return None
        code = "".join(self._buffer)
        self._buffer.clear()
        return code

    def _reject(self, reason: Rejection) -> None:
        text = "".join(self._buffer)
        self._buffer.clear()
        if self._on_reject is not None:
            self._on_reject(reason, text)


def decode(
    events: Iterable[InputEvent | tuple],
    layout: str = "us",
    timeout_ms: float = DEFAULT_TIMEOUT_MS,
    on_reject: OnReject | None = None,
) -> list[str]:
    """Every code in ``events``, in order."""
    decoder = Decoder(layout, timeout_ms, on_reject)
    return [code for event in events if (code := decoder.feed(event)) is not None]


def encode(
    text: str,
    layout: str = "us",
    interval_s: float = TYPING_INTERVAL_S,
    start_s: float = 0.0,
    enter: bool = True,
) -> list[InputEvent]:
    """The events a scanner set to ``layout`` sends for ``text``: a key press every
    ``interval_s`` from ``start_s``, Shift or AltGr held where needed, then Enter."""
    strokes = keymap(layout).strokes
    missing = "".join(sorted(set(text) - strokes.keys()))
    if missing:
        raise ScannerError(f"text: the {layout} layout cannot type {missing!r}")
    keys = [strokes[char] for char in text] + ([(e.KEY_ENTER, PLAIN)] if enter else [])
    start_us, interval_us = round(start_s * 1_000_000), round(interval_s * 1_000_000)
    events: list[InputEvent] = []
    for index, (code, level) in enumerate(keys):
        down = start_us + index * interval_us
        up = down + interval_us // 2
        held = _MODIFIERS.get(level, ())
        for time_us, key, value in (
            *((down, modifier, 1) for modifier in held),
            (down, code, 1),
            (up, code, 0),
            *((up, modifier, 0) for modifier in held),
        ):
            sec, usec = divmod(time_us, 1_000_000)
            events += [InputEvent(sec, usec, e.EV_KEY, key, value),
                       InputEvent(sec, usec, e.EV_SYN, e.SYN_REPORT, 0)]
    return events


def _unpack(event: InputEvent | tuple) -> tuple[int, int, int, int]:
    """(time in microseconds, type, code, value) of any accepted event form."""
    if hasattr(event, "usec"):
        return event.sec * 1_000_000 + event.usec, event.type, event.code, event.value
    match event:
        case (sec, usec, kind, code, value):
            return sec * 1_000_000 + usec, kind, code, value
        case (seconds, kind, code, value):
            return round(seconds * 1_000_000), kind, code, value
    raise ScannerError(
        "event: expected an InputEvent, (seconds, type, code, value) or "
        f"(sec, usec, type, code, value), not {event!r}"
    )
