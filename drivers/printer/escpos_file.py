"""Receipt printer behind a device file such as /dev/usb/lp0 (the kernel's usblp driver),
through python-escpos."""
import os

from . import EscposPrinter, Options, PrinterState, PrinterStatus, PrinterUnavailable


class FilePrinter(EscposPrinter):
    """A printer written to as a file: nothing can be read back, so its status is unknown."""

    def __init__(self, path: str = "/dev/usb/lp0", **common) -> None:
        super().__init__(**common)
        self.path = path
        self.name = f"printer {path}"

    def _connect(self):
        from escpos.printer import File

        # Opening a missing path would create a plain file and "print" into it.
        if not os.path.exists(self.path):
            raise PrinterUnavailable(f"{self.name} is not there (unplugged or switched off?)")
        return File(self.path, profile=self.profile)

    def _query_status(self, printer) -> PrinterStatus:
        return PrinterStatus(PrinterState.UNKNOWN,
                             f"{self.name} is connected; a device file cannot report paper")


def create(options: Options) -> FilePrinter:
    return FilePrinter(options.text("path", "/dev/usb/lp0"), **options.common())
