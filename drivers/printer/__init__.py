"""Receipt printer: print a sale document, kick the drawer wired to the printer, report status.

The till calls `print_receipt`; when it raises PrinterUnavailable the sale is complete anyway
and the receipt is queued for reprint. InvalidReceipt means the document itself is wrong.
Backends (python-escpos over usb, network, serial, a device file, or simulated) live one per
file and are imported only when chosen, so a simulated till needs no pyusb or pyserial.
"""
import enum
import errno
import importlib
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass

from escpos.constants import RT_STATUS_ONLINE
from escpos.exceptions import Error as EscposError

from . import receipt
from .receipt import InvalidReceipt

__all__ = [
    "EscposPrinter",
    "InvalidReceipt",
    "Options",
    "PrinterState",
    "PrinterStatus",
    "PrinterUnavailable",
    "ReceiptPrinter",
    "create",
]

BACKENDS = {
    "usb": "escpos_usb",
    "network": "escpos_network",
    "serial": "escpos_serial",
    "file": "escpos_file",
    "simulated": "simulated",
}
DRAWER_PINS = (2, 5)

# What a transport can raise: python-escpos's own errors, socket/file/serial/usb errors (all
# OSError), and pyusb's NoBackendError (a ValueError) when libusb itself is missing.
_TRANSPORT_ERRORS = (EscposError, OSError, ValueError)


class PrinterUnavailable(Exception):
    """The printer cannot print now (offline, out of paper, transport failure)."""


class PrinterState(enum.Enum):
    ONLINE = "online"
    OFFLINE = "offline"
    PAPER_OUT = "paper_out"
    PAPER_LOW = "paper_low"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class PrinterStatus:
    """What the printer said about itself, with a message for the cashier."""

    state: PrinterState
    message: str = ""

    @property
    def can_print(self) -> bool:
        """Worth sending a receipt: a printer that cannot report its status is given a try."""
        return self.state not in (PrinterState.OFFLINE, PrinterState.PAPER_OUT)


class ReceiptPrinter(ABC):
    """A receipt printer as the till sees it."""

    @abstractmethod
    def print_receipt(self, document: Mapping) -> None:
        """Print a sale or refund document; PrinterUnavailable or InvalidReceipt on failure."""

    @abstractmethod
    def kick_drawer(self, pin: int = 2) -> None:
        """Open the cash drawer plugged into the printer (pin 2 or 5)."""

    @abstractmethod
    def status(self) -> PrinterStatus:
        """Ask the printer how it is; never raises."""


class EscposPrinter(ReceiptPrinter):
    """Shared by the python-escpos backends.

    A receipt is rendered on a Dummy first and sent in one write, so a document error never
    leaves half a receipt on the paper. Each job opens the transport and closes it again, so a
    printer that was unplugged or switched off works again as soon as it is back.
    """

    name = "printer"

    def __init__(self, *, width: int = 42, profile: str = "default", cut: bool = True,
                 code: str = "code128") -> None:
        self.width = width
        self.profile = profile
        self.cut = cut
        self.code = code
        self._lock = threading.Lock()

    @abstractmethod
    def _connect(self):
        """The transport's python-escpos printer object, not yet opened."""

    def print_receipt(self, document: Mapping) -> None:
        paper = self._paper()
        try:
            lines = receipt.render(paper, document, width=self.width, code=self.code,
                                   cut=self.cut)
        except EscposError as exc:
            raise PrinterUnavailable(f"the {self.profile!r} printer profile cannot print this "
                                     f"receipt: {_one_line(exc)}") from exc
        self._send(paper.output, check_status=True)
        self._printed(document, lines, paper.output)

    def kick_drawer(self, pin: int = 2) -> None:
        if isinstance(pin, bool) or pin not in DRAWER_PINS:
            raise ValueError(f"cash drawer pin must be 2 or 5, not {pin!r}")
        paper = self._paper()
        paper.cashdraw(pin)
        self._send(paper.output, check_status=False)

    def status(self) -> PrinterStatus:
        try:
            with self._session() as printer:
                return self._query_status(printer)
        except PrinterUnavailable as exc:
            return PrinterStatus(PrinterState.OFFLINE, str(exc))

    def _printed(self, document: Mapping, lines: list, data: bytes) -> None:
        """Called after a receipt went out; the simulated printer keeps a copy."""

    def _paper(self):
        from escpos.printer import Dummy

        return Dummy(profile=self.profile)

    def _query_status(self, printer) -> PrinterStatus:
        """Ask with the real-time status command (DLE EOT), read by python-escpos."""
        silent = PrinterStatus(PrinterState.UNKNOWN, f"{self.name} did not answer a status query")
        try:
            if not printer.query_status(RT_STATUS_ONLINE):
                return silent
            online, paper = printer.is_online(), printer.paper_status()
        except OSError as exc:
            if isinstance(exc, TimeoutError) or exc.errno == errno.ETIMEDOUT:
                return silent
            raise
        if paper == 0:
            return PrinterStatus(PrinterState.PAPER_OUT, f"{self.name} is out of paper")
        if not online:
            return PrinterStatus(PrinterState.OFFLINE, f"{self.name} is offline (cover open?)")
        if paper == 1:
            return PrinterStatus(PrinterState.PAPER_LOW, f"{self.name}: paper is running low")
        return PrinterStatus(PrinterState.ONLINE, f"{self.name} is ready")

    def _send(self, data: bytes, check_status: bool) -> None:
        with self._session() as printer:
            if check_status:
                status = self._query_status(printer)
                if not status.can_print:
                    raise PrinterUnavailable(status.message)
            # python-escpos documents _raw() as the way to print a prepared binary blob.
            printer._raw(data)

    @contextmanager
    def _session(self) -> Iterator:
        """An open transport; every transport error comes out as PrinterUnavailable."""
        with self._lock:
            printer = None
            try:
                printer = self._connect()
                printer.open()
                yield printer
            except _TRANSPORT_ERRORS as exc:
                raise PrinterUnavailable(f"{self.name}: {_one_line(exc)}") from exc
            finally:
                if printer is not None:
                    with suppress(*_TRANSPORT_ERRORS):
                        printer.close()


class Options:
    """A backend's settings read with checked types; `finish` rejects names nobody read."""

    def __init__(self, settings: Mapping, backend: str) -> None:
        self._values = dict(settings)
        self.backend = backend

    def _take(self, name: str, default, kinds: tuple, expected: str):
        if name not in self._values:
            if default is None:
                raise ValueError(f"printer option {name!r} is required for the "
                                 f"{self.backend} backend")
            return default
        value = self._values.pop(name)
        if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
            raise ValueError(f"printer option {name!r} must be {expected}, not {value!r}")
        return value

    def text(self, name: str, default: str | None = None) -> str:
        value = self._take(name, default, (str,), "a string")
        if not value.strip() and value != default:
            raise ValueError(f"printer option {name!r} must not be empty")
        return value

    def flag(self, name: str, default: bool) -> bool:
        return self._take(name, default, (bool,), "true or false")

    def integer(self, name: str, default: int | None, low: int, high: int) -> int:
        value = self._take(name, default, (int,), f"an integer from {low} to {high}")
        if not low <= value <= high:
            raise ValueError(f"printer option {name!r} must be from {low} to {high}, not {value}")
        return value

    def number(self, name: str, default: float, low: float, high: float) -> float:
        value = self._take(name, default, (int, float), f"a number from {low} to {high}")
        if not low <= value <= high:
            raise ValueError(f"printer option {name!r} must be from {low} to {high}, not {value}")
        return float(value)

    def hex_id(self, name: str, default: int | None = None) -> int:
        """A USB id or endpoint: an int, or hex text such as "0x04b8" or "04b8"."""
        value = self._take(name, default, (int, str), 'an int or hex text such as "0x04b8"')
        if isinstance(value, str):
            try:
                value = int(value, 16)
            except ValueError:
                raise ValueError(f"printer option {name!r} is not hex: {value!r}") from None
        if not 0 <= value <= 0xFFFF:
            raise ValueError(f"printer option {name!r} must be from 0x0000 to 0xffff")
        return value

    def choice(self, name: str, default: str, choices) -> str:
        value = self._take(name, default, (str,), f"one of {', '.join(choices)}")
        if value not in choices:
            raise ValueError(f"printer option {name!r} must be one of {', '.join(choices)}, "
                             f"not {value!r}")
        return value

    def common(self) -> dict:
        """The options every backend has: width, profile, cut, code."""
        from escpos.capabilities import CAPABILITIES, get_profile

        profile = self.choice("profile", "default", sorted(CAPABILITIES["profiles"]))
        columns = get_profile(profile).get_columns("a")
        default_width = columns if receipt.MIN_WIDTH <= columns <= receipt.MAX_WIDTH else 42
        return {
            "width": self.integer("width", default_width, receipt.MIN_WIDTH, receipt.MAX_WIDTH),
            "profile": profile,
            "cut": self.flag("cut", True),
            "code": self.choice("code", "code128", receipt.CODES),
        }

    def finish(self) -> None:
        if self._values:
            raise ValueError(f"unknown printer option(s) for the {self.backend} backend: "
                             f"{', '.join(sorted(map(str, self._values)))}")


def create(settings: Mapping) -> ReceiptPrinter:
    """The printer described by the till's [printer] settings; ValueError names a bad option."""
    if not isinstance(settings, Mapping):
        raise ValueError(f"printer settings must be a table, not {type(settings).__name__}")
    backend = settings.get("backend", "simulated")
    if backend not in BACKENDS:
        raise ValueError(f"unknown printer backend {backend!r}; choose one of "
                         f"{', '.join(BACKENDS)}")
    options = Options({k: v for k, v in settings.items() if k != "backend"}, backend)
    module = importlib.import_module(f"{__name__}.{BACKENDS[backend]}")
    printer = module.create(options)
    options.finish()
    return printer


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__
