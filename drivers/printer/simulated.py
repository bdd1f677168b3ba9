"""Simulated receipt printer for development and tests: no hardware, same ESC/POS bytes.

The receipt goes through the very rendering and sending a real printer gets, into a
python-escpos Dummy; each one is kept in memory and, given a directory, saved as
`<sale_ref>-<n>.bin` (the raw ESC/POS) and `<sale_ref>-<n>.txt` (the text, for people).
Faults are simulated with the `offline`, `paper_out` and `paper_low` switches.
"""
import re
from collections.abc import Mapping
from pathlib import Path

from . import EscposPrinter, Options, PrinterState, PrinterStatus, PrinterUnavailable, receipt


class SimulatedPrinter(EscposPrinter):
    """A printer that keeps what it prints (`last_text`, `last_bytes`, `last_path`)."""

    name = "simulated printer"

    def __init__(self, directory: str | Path | None = None, *, offline: bool = False,
                 paper_out: bool = False, paper_low: bool = False, **common) -> None:
        super().__init__(**common)
        self.directory = Path(directory) if directory else None
        self.offline = offline
        self.paper_out = paper_out
        self.paper_low = paper_low
        self.last_text: str | None = None
        self.last_bytes: bytes | None = None
        self.last_path: Path | None = None
        self.drawer_kicks = 0

    def set_offline(self, offline: bool) -> None:
        self.offline = bool(offline)

    def set_paper_out(self, paper_out: bool) -> None:
        self.paper_out = bool(paper_out)

    def set_paper_low(self, paper_low: bool) -> None:
        self.paper_low = bool(paper_low)

    def kick_drawer(self, pin: int = 2) -> None:
        super().kick_drawer(pin)
        self.drawer_kicks += 1

    def _connect(self):
        if self.offline:
            raise PrinterUnavailable(f"{self.name} is offline")
        return self._paper()

    def _query_status(self, printer) -> PrinterStatus:
        if self.paper_out:
            return PrinterStatus(PrinterState.PAPER_OUT, f"{self.name} is out of paper")
        if self.paper_low:
            return PrinterStatus(PrinterState.PAPER_LOW, f"{self.name}: paper is running low")
        return PrinterStatus(PrinterState.ONLINE, f"{self.name} is ready")

    def _printed(self, document: Mapping, lines: list, data: bytes) -> None:
        self.last_text = receipt.plain_text(lines)
        self.last_bytes = data
        if self.directory is None:
            return
        stem = re.sub(r"[^A-Za-z0-9_-]", "_", document["sale_ref"]) or "receipt"
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            n = 1
            while (self.directory / f"{stem}-{n}.bin").exists():
                n += 1
            path = self.directory / f"{stem}-{n}.bin"
            path.write_bytes(data)
            path.with_suffix(".txt").write_text(self.last_text, encoding="utf-8")
        except OSError as exc:
            raise PrinterUnavailable(f"{self.name} cannot save in {self.directory}: {exc}") from exc
        self.last_path = path


def create(options: Options) -> SimulatedPrinter:
    return SimulatedPrinter(options.text("directory", "") or None,
                            offline=options.flag("offline", False),
                            paper_out=options.flag("paper_out", False),
                            paper_low=options.flag("paper_low", False), **options.common())
