"""Cash drawer: fire the opening pulse and watch the drawer's open sensor.

The till opens the drawer for a cash sale, asks the cashier to close it and allows the next
cash sale once the sensor reports it shut (``when_closed``). A drawer wired without a sensor
reports ``is_open`` as None and the till does not wait for it.
"""
from abc import ABC, abstractmethod

from drivers.backends import build

# backend name -> class name in drivers/drawer/<backend>.py
BACKENDS = {
    "gpio": "GpioDrawer",
    "printer_kick": "PrinterKickDrawer",
    "simulated": "SimulatedDrawer",
}


class DrawerError(Exception):
    """The drawer could not be opened; the message says why."""


class CashDrawer(ABC):
    """A cash drawer. ``when_opened`` / ``when_closed`` are called with no argument, from
    the sensor's thread, when the drawer opens or closes."""

    when_opened = None
    when_closed = None

    @abstractmethod
    def open(self):
        """Fire the opening pulse and return at once (the pulse ends by itself)."""

    @property
    @abstractmethod
    def is_open(self):
        """True or False from the open sensor, or None when no sensor is wired."""

    @abstractmethod
    def wait_closed(self, timeout=None):
        """Block until the drawer is shut: True once shut, False after ``timeout`` seconds,
        None at once when no sensor is wired."""

    @abstractmethod
    def close(self):
        """Release the pins (and leave the solenoid off)."""

    def _changed(self, opened):
        callback = self.when_opened if opened else self.when_closed
        if callback is not None:
            callback()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()


def create(settings, printer=None, pin_factory=None):
    """The drawer named by ``settings["backend"]`` built from the other options.

    ``printer`` is the receipt printer driver (needed by ``printer_kick``); ``pin_factory``
    a gpiozero pin factory (tests and the simulation pass ``MockFactory``).
    """
    return build("drawer", __name__, BACKENDS, settings,
                 {"printer": printer, "pin_factory": pin_factory})
