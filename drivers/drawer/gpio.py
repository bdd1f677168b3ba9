"""Drawer on GPIO: a solenoid driver on an output pin and, optionally, the open switch on an
input pin.

The solenoid is energised by a one-shot ``blink`` for ``pulse_ms`` and switched off by
gpiozero's blink thread, so it cannot stay on: a second ``open()`` during a pulse restarts
that pulse, and ``close()`` switches it off first. The switch is read with the pull-up or
pull-down given by ``sensor_pull_up``; ``sensor_active_when_open`` says whether the switch is
closed (active) while the drawer is open. The default suits the common micro-switch that the
drawer presses shut when it closes (active when closed). ``sensor_pin = false`` means no
sensor is wired (TOML has no null).
"""
from gpiozero import DigitalInputDevice, DigitalOutputDevice

from . import CashDrawer

MIN_PULSE_MS, MAX_PULSE_MS = 10, 1000


def check_pin(option, value):
    """``value`` as a BCM GPIO number, or ValueError naming ``option``."""
    if type(value) is not int or not 0 <= value <= 27:
        raise ValueError(f"drawer option {option} must be a GPIO number 0-27, not {value!r}")
    return value


def check_sensor_pin(value):
    """The sensor's GPIO number, or None when no sensor is wired (None or false)."""
    return None if value is None or value is False else check_pin("sensor_pin", value)


def check_flag(option, value):
    if not isinstance(value, bool):
        raise ValueError(f"drawer option {option} must be true or false, not {value!r}")
    return value


class SensedDrawer(CashDrawer):
    """A drawer whose open switch, if wired, is read on a GPIO input."""

    def __init__(self, sensor_pin, sensor_pull_up, sensor_active_when_open, pin_factory):
        self._sensor = None
        sensor_pin = check_sensor_pin(sensor_pin)
        self._active_when_open = check_flag("sensor_active_when_open", sensor_active_when_open)
        check_flag("sensor_pull_up", sensor_pull_up)
        if sensor_pin is None:
            return
        self._sensor = DigitalInputDevice(
            sensor_pin, pull_up=sensor_pull_up, pin_factory=pin_factory
        )
        self._sensor.when_activated = lambda: self._changed(self._active_when_open)
        self._sensor.when_deactivated = lambda: self._changed(not self._active_when_open)

    @property
    def is_open(self):
        if self._sensor is None:
            return None
        return self._sensor.is_active == self._active_when_open

    def wait_closed(self, timeout=None):
        if self._sensor is None:
            return None
        if self._active_when_open:
            return self._sensor.wait_for_inactive(timeout)
        return self._sensor.wait_for_active(timeout)

    def close(self):
        if self._sensor is not None:
            self._sensor.close()


class GpioDrawer(SensedDrawer):
    """Drawer whose solenoid is driven from GPIO ``pin`` for ``pulse_ms`` milliseconds."""

    def __init__(
        self,
        pin=17,
        *,
        pulse_ms=100,
        sensor_pin=27,
        sensor_pull_up=True,
        sensor_active_when_open=False,
        pin_factory=None,
    ):
        check_pin("pin", pin)
        if type(pulse_ms) is not int or not MIN_PULSE_MS <= pulse_ms <= MAX_PULSE_MS:
            raise ValueError(
                f"drawer option pulse_ms must be an int from {MIN_PULSE_MS} to {MAX_PULSE_MS}, "
                f"not {pulse_ms!r}"
            )
        sensor_pin = check_sensor_pin(sensor_pin)
        if sensor_pin == pin:
            raise ValueError(f"drawer options pin and sensor_pin are both GPIO {pin}")
        super().__init__(sensor_pin, sensor_pull_up, sensor_active_when_open, pin_factory)
        self._pulse_s = pulse_ms / 1000
        self._solenoid = DigitalOutputDevice(pin, pin_factory=pin_factory)

    def open(self):
        self._solenoid.blink(on_time=self._pulse_s, off_time=0, n=1)

    def close(self):
        """Solenoid off, pins released; closing twice is harmless."""
        if not self._solenoid.closed:
            self._solenoid.off()
            self._solenoid.close()
        super().close()
