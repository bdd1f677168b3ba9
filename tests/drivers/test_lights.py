"""Status lights on gpiozero MockFactory pins: LEDs, an RGB LED, blinking, validation."""
import time

import pytest
from gpiozero.pins.mock import MockFactory, MockPWMPin

from drivers import lights
from drivers.lights import PATTERNS, STATES

PINS = {"green": 5, "amber": 6, "red": 13}
RGB = [22, 23, 24]


def wait_until(condition, timeout=3.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def lit(factory):
    return {colour: bool(factory.pin(pin).state) for colour, pin in PINS.items()}


@pytest.fixture
def factory():
    return MockFactory(pin_class=MockPWMPin)


@pytest.fixture
def leds(factory):
    with lights.create({"backend": "gpio"}, pin_factory=factory) as device:
        yield device


@pytest.mark.parametrize("state", ["ready", "busy", "error"])
def test_steady_states_light_one_led(leds, factory, state):
    leds.show(state)
    colour = PATTERNS[state].colour
    assert lit(factory) == {name: name == colour for name in PINS}
    assert leds.state == state


@pytest.mark.parametrize("state", ["attention", "offline"])
def test_blinking_states_blink_their_led_only(leds, factory, state):
    colour, blink_s = PATTERNS[state]
    pin = factory.pin(PINS[colour])
    leds.show(state)
    wait_until(lambda: len(pin.states) >= 3)  # off, on, off
    pin.assert_states([False, True, False])
    assert pin.states[2].timestamp == pytest.approx(blink_s, abs=0.1)
    assert {name for name, on in lit(factory).items() if on} <= {colour}


def test_a_new_state_stops_the_blink(leds, factory):
    leds.show("attention")
    wait_until(lambda: factory.pin(6).state)
    leds.show("ready")
    amber_changes = len(factory.pin(6).states)
    time.sleep(PATTERNS["attention"].blink_s * 2.5)
    assert len(factory.pin(6).states) == amber_changes
    assert lit(factory) == {"green": True, "amber": False, "red": False}


def test_state_starts_unknown_and_bad_states_are_refused(leds, factory):
    assert leds.state is None
    leds.show("busy")
    with pytest.raises(ValueError, match="unknown state 'green'.*ready, busy"):
        leds.show("green")
    assert leds.state == "busy"
    assert STATES == ("ready", "busy", "attention", "error", "offline")


def test_close_switches_everything_off(factory):
    device = lights.create({"backend": "gpio"}, pin_factory=factory)
    device.show("attention")
    device.close()
    assert not any(lit(factory).values())


def test_active_low_leds_are_lit_by_a_low_pin(factory):
    with lights.create({"backend": "gpio", "active_high": False}, pin_factory=factory) as device:
        device.show("error")
        assert lit(factory) == {"green": True, "amber": True, "red": False}


@pytest.mark.parametrize(
    ("state", "colour"), [("ready", (0, 1, 0)), ("busy", (1, 0.5, 0)), ("error", (1, 0, 0))]
)
def test_rgb_led_mixes_the_colour(factory, state, colour):
    with lights.create({"backend": "gpio", "rgb": RGB}, pin_factory=factory) as device:
        device.show(state)
        assert tuple(factory.pin(pin).state for pin in RGB) == colour


def test_rgb_led_blinks_for_attention(factory):
    with lights.create({"backend": "gpio", "rgb": RGB}, pin_factory=factory) as device:
        device.show("attention")
        red = factory.pin(RGB[0])
        wait_until(lambda: len(red.states) >= 4)
        assert [state.state for state in red.states[:4]] == [0, 1, 0, 1]


def test_simulated_lights_need_no_factory_and_expose_their_pins():
    with lights.create({}) as device:
        device.show("offline")
        assert device.state == "offline"
        assert device.pin_factory.pin(5).state


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"backend": "neopixel"}, "unknown backend 'neopixel'"),
        ({"backend": "gpio", "blue": 4}, "unknown option 'blue'"),
        ({"backend": "gpio", "pin_factory": None}, "unknown option 'pin_factory'"),
        ({"backend": "gpio", "green": 40}, "green must be a GPIO number"),
        ({"backend": "gpio", "red": "13"}, "red must be a GPIO number"),
        ({"backend": "gpio", "amber": 5}, "green, amber, red must use different GPIO pins"),
        ({"backend": "gpio", "rgb": [1, 2]}, r"rgb must be GPIO numbers \[r, g, b\]"),
        ({"backend": "gpio", "rgb": "1,2,3"}, "rgb must be GPIO numbers"),
        ({"backend": "simulated", "rgb": [1, 2, 99]}, r"rgb\[2\] must be a GPIO number"),
        ({"backend": "simulated", "active_high": "no"}, "active_high must be true or false"),
    ],
)
def test_create_rejects_bad_options_naming_them(factory, options, message):
    with pytest.raises(ValueError, match=message):
        lights.create(options, pin_factory=factory)
