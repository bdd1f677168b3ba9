"""Receipt printer on a serial port (RS-232 or a USB serial adapter), through python-escpos and
pyserial."""
from . import EscposPrinter, Options, PrinterUnavailable


class SerialPrinter(EscposPrinter):
    """A serial ESC/POS printer; `timeout` bounds waiting for a status reply."""

    def __init__(self, device: str = "/dev/ttyUSB0", baudrate: int = 19200,
                 timeout: float = 1.0, **common) -> None:
        super().__init__(**common)
        self.device = device
        self.baudrate = baudrate
        self.timeout = timeout
        self.name = f"serial printer {device}"

    def _connect(self):
        from escpos.printer import Serial

        if not Serial.is_usable():
            raise PrinterUnavailable(f"{self.name}: serial printing needs pyserial "
                                     "(pip install pyserial)")
        return Serial(self.device, baudrate=self.baudrate, timeout=self.timeout,
                      profile=self.profile)


def create(options: Options) -> SerialPrinter:
    return SerialPrinter(options.text("device", "/dev/ttyUSB0"),
                         options.integer("baudrate", 19200, 300, 4_000_000),
                         options.number("timeout", 1.0, 0.05, 120), **options.common())
