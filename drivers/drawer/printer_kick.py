"""Drawer opened through the receipt printer's drawer-kick output (ESC/POS ``ESC p``).

Most drawers plug into the printer's RJ11 socket rather than the Pi: the printer fires the
solenoid on connector pin 2 or 5 (``kick_pin``). The open switch, if wired, is still read on
a GPIO input as in the gpio backend (``sensor_pin = false`` when there is none).
"""
from . import DrawerError
from .gpio import SensedDrawer

KICK_PINS = (2, 5)


class PrinterKickDrawer(SensedDrawer):
    """Drawer kicked by ``printer.kick_drawer(kick_pin)``."""

    def __init__(
        self,
        *,
        printer,
        kick_pin=2,
        sensor_pin=27,
        sensor_pull_up=True,
        sensor_active_when_open=False,
        pin_factory=None,
    ):
        if not callable(getattr(printer, "kick_drawer", None)):
            raise ValueError("drawer backend printer_kick needs the printer driver (kick_drawer)")
        if type(kick_pin) is not int or kick_pin not in KICK_PINS:
            raise ValueError(f"drawer option kick_pin must be 2 or 5, not {kick_pin!r}")
        super().__init__(sensor_pin, sensor_pull_up, sensor_active_when_open, pin_factory)
        self._printer = printer
        self._kick_pin = kick_pin

    def open(self):
        try:
            self._printer.kick_drawer(self._kick_pin)
        except Exception as exc:  # the printer driver's own errors, whatever their type
            raise DrawerError(f"the printer could not open the drawer: {exc}") from exc
