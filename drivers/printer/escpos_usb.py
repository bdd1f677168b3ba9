"""Receipt printer on USB, through python-escpos and pyusb."""
from . import EscposPrinter, Options, PrinterUnavailable


class UsbPrinter(EscposPrinter):
    """A USB ESC/POS printer found by vendor and product id (see `lsusb`)."""

    def __init__(self, vendor: int, product: int, *, in_ep: int = 0x82, out_ep: int = 0x01,
                 timeout: float = 5.0, **common) -> None:
        super().__init__(**common)
        self.vendor = vendor
        self.product = product
        self.in_ep = in_ep
        self.out_ep = out_ep
        self.timeout = timeout
        self.name = f"USB printer {vendor:04x}:{product:04x}"

    def _connect(self):
        from escpos.printer import Usb

        if not Usb.is_usable():
            raise PrinterUnavailable(f"{self.name}: USB printing needs pyusb (pip install pyusb)")
        # pyusb counts its timeout in milliseconds; without one a stalled printer hangs the till.
        return Usb(self.vendor, self.product, timeout=round(self.timeout * 1000),
                   in_ep=self.in_ep, out_ep=self.out_ep, profile=self.profile)


def create(options: Options) -> UsbPrinter:
    return UsbPrinter(options.hex_id("vendor"), options.hex_id("product"),
                      in_ep=options.hex_id("in_ep", 0x82), out_ep=options.hex_id("out_ep", 0x01),
                      timeout=options.number("timeout", 5.0, 0.05, 120), **options.common())
