"""Simulated drawer: the gpio backend on gpiozero ``MockFactory`` pins, for the demo and tests.

``open()`` really pulses the mock solenoid pin and, as a real drawer springs open, drives the
mock sensor to "open"; the cashier shuts it with ``simulate_close()``. ``pulses`` reads back
from the mock pin how long each completed solenoid pulse lasted.
"""
from gpiozero.pins.mock import MockFactory

from . import DrawerError
from .gpio import GpioDrawer


class SimulatedDrawer(GpioDrawer):
    """A ``GpioDrawer`` on mock pins, with controls to play the cashier."""

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
        self.pin_factory = pin_factory or MockFactory()
        super().__init__(
            pin,
            pulse_ms=pulse_ms,
            sensor_pin=sensor_pin,
            sensor_pull_up=sensor_pull_up,
            sensor_active_when_open=sensor_active_when_open,
            pin_factory=self.pin_factory,
        )
        if self._sensor is not None:
            self.simulate_close()  # a mock input starts at its pull level: shut the drawer

    @property
    def solenoid_pin(self):
        """The solenoid's ``MockPin`` (``states``, ``assert_states``)."""
        return self._solenoid.pin

    @property
    def sensor_pin(self):
        """The open switch's ``MockPin``, or None when no sensor is simulated."""
        return None if self._sensor is None else self._sensor.pin

    @property
    def pulses(self):
        """Durations in seconds of the completed solenoid pulses, oldest first."""
        states = self.solenoid_pin.states
        changes = zip(states, states[1:], strict=False)
        return [off.timestamp for on, off in changes if on.state and not off.state]

    def open(self):
        super().open()
        if self._sensor is not None:
            self.simulate_open()

    def simulate_open(self):
        """The drawer is opened (by the solenoid, or by hand with the key)."""
        self._drive_sensor(opened=True)

    def simulate_close(self):
        """The cashier pushes the drawer shut."""
        self._drive_sensor(opened=False)

    def _drive_sensor(self, opened):
        if self._sensor is None:
            raise DrawerError("this simulated drawer has no sensor (sensor_pin = false)")
        # The switch is active while the drawer is open when sensor_active_when_open is set;
        # active means low with a pull-up and high with a pull-down.
        active = opened == self._active_when_open
        if active != self._sensor.pull_up:
            self._sensor.pin.drive_high()
        else:
            self._sensor.pin.drive_low()
