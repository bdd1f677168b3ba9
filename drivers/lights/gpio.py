"""Status lights on GPIO: three LEDs (``green``, ``amber``, ``red`` pins) or one RGB LED
(``rgb = [r, g, b]`` pins, which replaces the three; amber is mixed by PWM).

``active_high = false`` suits LEDs wired to 3V3 rather than ground (common-anode RGB LEDs).
Blinking runs in gpiozero's background blink thread.
"""
from gpiozero import RGBLED, LEDBoard

from . import StatusLights

RGB_COLOURS = {"green": (0, 1, 0), "amber": (1, 0.5, 0), "red": (1, 0, 0)}


def check_pins(options):
    """``options`` (name -> GPIO number) checked: numbers 0-27, all different."""
    for name, pin in options.items():
        if type(pin) is not int or not 0 <= pin <= 27:
            raise ValueError(f"lights option {name} must be a GPIO number 0-27, not {pin!r}")
    if len(set(options.values())) < len(options):
        raise ValueError(f"lights options {', '.join(options)} must use different GPIO pins")
    return options


class GpioLights(StatusLights):
    """Lights on three LEDs, or on one RGB LED when ``rgb`` is given."""

    def __init__(
        self, *, green=5, amber=6, red=13, rgb=None, active_high=True, pin_factory=None
    ):
        if not isinstance(active_high, bool):
            raise ValueError(f"lights option active_high must be true or false: {active_high!r}")
        if rgb is None:
            pins = check_pins({"green": green, "amber": amber, "red": red})
            self._device = LEDBoard(**pins, active_high=active_high, pin_factory=pin_factory)
        else:
            if not isinstance(rgb, list | tuple) or len(rgb) != 3:
                raise ValueError(f"lights option rgb must be GPIO numbers [r, g, b], not {rgb!r}")
            pins = check_pins({f"rgb[{index}]": pin for index, pin in enumerate(rgb)})
            self._device = RGBLED(*pins.values(), active_high=active_high, pin_factory=pin_factory)

    def _light(self, pattern):
        if isinstance(self._device, RGBLED):
            colour = RGB_COLOURS[pattern.colour]
            if pattern.blink_s:
                self._device.blink(pattern.blink_s, pattern.blink_s, on_color=colour)
            else:
                self._device.color = colour
            return
        self._device.off()
        led = getattr(self._device, pattern.colour)
        if pattern.blink_s:
            led.blink(pattern.blink_s, pattern.blink_s)
        else:
            led.on()

    def close(self):
        self._device.off()
        self._device.close()
