"""Simulated status lights: the gpio backend on gpiozero ``MockFactory`` pins (PWM-capable,
so the RGB wiring works too). The demo reads ``state``; tests read the mock pins."""
from gpiozero.pins.mock import MockFactory, MockPWMPin

from .gpio import GpioLights


class SimulatedLights(GpioLights):
    def __init__(
        self, *, green=5, amber=6, red=13, rgb=None, active_high=True, pin_factory=None
    ):
        self.pin_factory = pin_factory or MockFactory(pin_class=MockPWMPin)
        super().__init__(
            green=green, amber=amber, red=red, rgb=rgb, active_high=active_high,
            pin_factory=self.pin_factory,
        )
