"""The till's devices, made from the configuration's sections (see ``drivers/``)."""
from dataclasses import dataclass
from pathlib import Path

from drivers import drawer, lights, payment, printer, scanner


@dataclass
class Devices:
    scanner: object
    drawer: object
    printer: object
    lights: object
    payment: object
    # A receipt that cannot print, for whatever reason, is queued, never lost.
    printer_unavailable: tuple = (printer.PrinterUnavailable, printer.InvalidReceipt)
    drawer_error: type = drawer.DrawerError

    def close(self):
        for device in (self.scanner, self.drawer, self.lights):
            stop = getattr(device, "stop", None) or getattr(device, "close", None)
            if stop is not None:
                stop()


def create_devices(config):
    """Every device of the till; a simulated printer saves receipts under the data dir."""
    printer_settings = dict(config["printer"])
    if printer_settings.get("backend") == "simulated":
        printer_settings.setdefault("directory",
                                    str(Path(config["till"]["data_dir"]) / "receipts"))
    receipt_printer = printer.create(printer_settings)
    return Devices(
        scanner=scanner.create(config["scanner"]),
        drawer=drawer.create(config["drawer"], printer=receipt_printer),
        printer=receipt_printer,
        lights=lights.create(config["lights"]),
        payment=payment.create(config["payment"]),
    )
