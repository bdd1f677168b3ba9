"""The barcode scanner: a USB device that types each code as key presses ending in Enter.

``create(settings)`` picks the backend: ``evdev`` reads the real device, ``simulated`` decodes
text typed from code. Both decode key events with ``drivers.scanner.decoder``, which needs
evdev's key codes, so evdev must be installed either way; this module itself does not.
"""
from abc import ABC, abstractmethod
from collections.abc import Callable
from enum import StrEnum

DEFAULT_TIMEOUT_MS = 50
_DEFAULTS = {
    "name": None, "vendor": None, "product": None,
    "layout": "us", "timeout_ms": DEFAULT_TIMEOUT_MS, "rescan_s": 1.0,
}


class ScannerError(ValueError):
    """Scanner settings or text that cannot be used; the message names which and why."""


class Rejection(StrEnum):
    """Why key presses were dropped instead of delivered as a code."""

    TIMEOUT = "timeout"  # a pause between keys longer than timeout_ms: a person, or a glitch
    EMPTY = "empty"  # Enter with nothing before it
    TOO_LONG = "too_long"  # more than 256 characters without Enter


OnCode = Callable[[str], None]
OnReject = Callable[[Rejection, str], None]


class Scanner(ABC):
    """A barcode scanner that delivers each code it reads as text."""

    @abstractmethod
    def start(self, on_code: OnCode, on_reject: OnReject | None = None) -> None:
        """Call ``on_code(code)`` for every scan (from a background thread on real hardware)
        and ``on_reject(reason, text)`` for key presses dropped as not being a scan.
        RuntimeError if already started."""

    @abstractmethod
    def stop(self) -> None:
        """Stop delivering codes and release the device; safe to call when not started."""

    @property
    @abstractmethod
    def connected(self) -> bool:
        """Whether the scanner is plugged in and ours to read."""


def create(settings: dict) -> Scanner:
    """The scanner the till's ``[scanner]`` settings describe, e.g. ``{"backend": "evdev",
    "vendor": "0x05e0", "layout": "de"}``; ScannerError (a ValueError) naming a bad option."""
    options = dict(settings)
    backend = options.pop("backend", "simulated")
    if backend not in ("evdev", "simulated"):
        raise ScannerError(f"backend: unknown {backend!r} (expected 'evdev' or 'simulated')")
    parsed = _parse(options)
    if backend == "evdev":
        from drivers.scanner.evdev_device import EvdevScanner

        return EvdevScanner(**parsed)
    from drivers.scanner.simulated import SimulatedScanner

    return SimulatedScanner(layout=parsed["layout"], timeout_ms=parsed["timeout_ms"])


def _parse(options: dict) -> dict:
    """Every option checked, with defaults for those not given; the simulated backend checks
    the device options too, so a typo shows before the till meets real hardware."""
    from drivers.scanner.keymaps import keymap

    unknown = sorted(set(options) - set(_DEFAULTS))
    if unknown:
        raise ScannerError(
            f"{unknown[0]}: unknown scanner option (known: backend, {', '.join(_DEFAULTS)})"
        )
    parsed = {**_DEFAULTS, **options}
    name = parsed["name"]
    if name is not None and not (isinstance(name, str) and name.strip()):
        raise ScannerError(f"name: expected part of the device's name like 'barcode', not {name!r}")
    if isinstance(parsed["layout"], str):
        parsed["layout"] = parsed["layout"].lower()
    keymap(parsed["layout"])
    for option in ("vendor", "product"):
        parsed[option] = _usb_id(option, parsed[option])
    for option in ("timeout_ms", "rescan_s"):
        value = parsed[option]
        if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
            raise ScannerError(f"{option}: expected a positive number, not {value!r}")
    return parsed


def _usb_id(option: str, value: int | str | None) -> int | None:
    """A USB vendor or product id from an int or a hex string such as "0x05e0" (as lsusb)."""
    if isinstance(value, str):
        try:
            value = int(value, 16)
        except ValueError:
            raise ScannerError(f"{option}: {value!r} is not a hex USB id like '0x05e0'") from None
    if value is not None and (
        isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 0xFFFF
    ):
        raise ScannerError(f"{option}: expected a USB id 0x0000-0xffff, not {value!r}")
    return value
