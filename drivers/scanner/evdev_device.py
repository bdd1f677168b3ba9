"""The real scanner: a USB HID keyboard read with evdev.

It is grabbed so its codes never reach the kiosk browser, and looked for again every
``rescan_s`` after it is unplugged. Finding and reading go through ``list_devices`` and
``open_device`` (evdev's by default), so tests can drive the loop with stand-in devices.
"""
import logging
import select
import threading
from collections.abc import Callable

import evdev
from evdev import ecodes

from drivers.scanner import DEFAULT_TIMEOUT_MS, OnCode, OnReject, Scanner, ScannerError
from drivers.scanner.decoder import Decoder
from drivers.scanner.keymaps import keymap

_LOGGER = logging.getLogger(__name__)
_POLL_S = 0.2  # how long a read waits before checking whether stop() was called


class EvdevScanner(Scanner):
    """The input device whose name contains ``name`` (any case) and/or whose USB ids are
    ``vendor`` (and ``product``), read on a background thread."""

    def __init__(
        self,
        *,
        name: str | None = None,
        vendor: int | None = None,
        product: int | None = None,
        layout: str = "us",
        timeout_ms: float = DEFAULT_TIMEOUT_MS,
        rescan_s: float = 1.0,
        list_devices: Callable[[], list[str]] = evdev.list_devices,
        open_device: Callable[[str], evdev.InputDevice] = evdev.InputDevice,
    ):
        if name is None and vendor is None:
            raise ScannerError("name, vendor: the evdev backend needs one to find the scanner")
        if product is not None and vendor is None:
            raise ScannerError("product: give the vendor id too")
        keymap(layout)  # a bad layout fails here, not on the reader thread
        self._name, self._vendor, self._product = name, vendor, product
        self._layout, self._timeout_ms, self._rescan_s = layout, timeout_ms, rescan_s
        self._list_devices, self._open_device = list_devices, open_device
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._connected = False

    @property
    def connected(self) -> bool:
        return self._connected

    def start(self, on_code: OnCode, on_reject: OnReject | None = None) -> None:
        if self._thread is not None:
            raise RuntimeError("scanner already started")
        self._stopping.clear()
        on_reject = _guarded(on_reject) if on_reject else None
        self._thread = threading.Thread(
            target=self._run, args=(_guarded(on_code), on_reject), name="scanner", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._stopping.set()
            self._thread.join()
            self._thread = None

    def matches(self, device: evdev.InputDevice) -> bool:
        """Whether ``device`` is the configured scanner. It must have an Enter key: many
        scanners add a consumer-control device with the same name that never types."""
        return (
            (self._name is None or self._name.lower() in device.name.lower())
            and self._vendor in (None, device.info.vendor)
            and self._product in (None, device.info.product)
            and ecodes.KEY_ENTER in device.capabilities().get(ecodes.EV_KEY, ())
        )

    def find(self) -> evdev.InputDevice | None:
        """The scanner, opened; None if it is not plugged in."""
        for path in sorted(self._list_devices()):
            try:
                device = self._open_device(path)
            except OSError:  # gone since listed, or not readable by us
                continue
            if self.matches(device):
                return device
            device.close()
        return None

    def _run(self, on_code: OnCode, on_reject: OnReject | None) -> None:
        reported_missing = False
        while not self._stopping.is_set():
            device = self.find()
            if device is None:
                if not reported_missing:
                    _LOGGER.warning("scanner not found; looking every %s s", self._rescan_s)
                    reported_missing = True
                self._stopping.wait(self._rescan_s)
                continue
            reported_missing = False
            try:
                device.grab()
                self._connected = True
                _LOGGER.info("scanner connected: %s (%s)", device.name, device.path)
                self._read(device, Decoder(self._layout, self._timeout_ms, on_reject), on_code)
            except OSError as exc:  # ENODEV when unplugged; EBUSY if another grab holds it
                _LOGGER.warning("scanner lost: %s (%s)", device.path, exc)
                self._stopping.wait(self._rescan_s)
            finally:
                self._connected = False
                device.close()

    def _read(self, device: evdev.InputDevice, decoder: Decoder, on_code: OnCode) -> None:
        while not self._stopping.is_set():
            if not select.select([device], [], [], _POLL_S)[0]:
                continue
            try:
                for event in device.read():
                    code = decoder.feed(event)
                    if code is not None:
                        on_code(code)
            except BlockingIOError:  # woken with nothing left to read
                continue


def _guarded(callback: Callable) -> Callable:
    """``callback`` with its failures logged, so the till's bug does not end the reading."""

    def call(*args) -> None:
        try:
            callback(*args)
        except Exception:
            _LOGGER.exception("scanner: %r failed on %r", callback, args)

    return call
