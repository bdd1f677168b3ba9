"""Cash drawer on gpiozero MockFactory pins: pulses, the open sensor, the printer kick."""
import threading
import time

import pytest
from escpos.constants import CD_KICK_2, CD_KICK_5
from escpos.printer import Dummy
from gpiozero.pins.mock import MockFactory
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers import drawer
from drivers.drawer import DrawerError

PULSE_MS = 50


def wait_until(condition, timeout=2.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


@pytest.fixture
def factory():
    return MockFactory()


@pytest.fixture
def gpio_drawer(factory):
    with drawer.create({"backend": "gpio", "pulse_ms": PULSE_MS}, pin_factory=factory) as device:
        yield device


class EscposPrinter:
    """The receipt printer driver's drawer kick, on python-escpos' Dummy printer."""

    def __init__(self):
        self.escpos = Dummy()

    def kick_drawer(self, pin):
        self.escpos.cashdraw(pin)


class BrokenPrinter:
    def kick_drawer(self, pin):
        raise OSError("printer offline")


def test_open_pulses_the_solenoid_for_pulse_ms_then_ends(gpio_drawer, factory):
    solenoid = factory.pin(17)
    gpio_drawer.open()
    assert solenoid.state
    wait_until(lambda: not solenoid.state)
    solenoid.assert_states([False, True, False])
    assert len(solenoid.states) == 3
    assert solenoid.states[2].timestamp == pytest.approx(PULSE_MS / 1000, abs=0.04)


def test_repeated_opens_never_leave_the_solenoid_on(gpio_drawer, factory):
    solenoid = factory.pin(17)
    for _ in range(5):
        gpio_drawer.open()
        time.sleep(0.01)
    last_open = time.monotonic()
    wait_until(lambda: not solenoid.state)
    assert time.monotonic() - last_open < PULSE_MS / 1000 + 0.1
    time.sleep(PULSE_MS / 1000 * 2)
    assert not solenoid.state


def test_close_during_a_pulse_switches_the_solenoid_off(factory):
    device = drawer.create({"backend": "gpio", "pulse_ms": 1000}, pin_factory=factory)
    device.open()
    assert factory.pin(17).state
    device.close()
    assert not factory.pin(17).state


# (sensor_pull_up, sensor_active_when_open) -> level of the sensor pin while the drawer is open
SENSOR_WIRINGS = {
    (True, False): True,  # the default: switch to ground, pressed shut by the closed drawer
    (True, True): False,
    (False, False): False,
    (False, True): True,
}


@pytest.mark.parametrize(("pull_up", "active_when_open"), list(SENSOR_WIRINGS))
def test_sensor_reports_open_and_closed_with_callbacks(factory, pull_up, active_when_open):
    options = {"backend": "gpio", "sensor_pull_up": pull_up}
    options["sensor_active_when_open"] = active_when_open
    device = drawer.create(options, pin_factory=factory)
    sensor = factory.pin(27)
    open_level = SENSOR_WIRINGS[pull_up, active_when_open]
    levels = (sensor.drive_high, sensor.drive_low)
    drive_open, drive_closed = levels if open_level else reversed(levels)
    drive_closed()
    events = []
    device.when_opened = lambda: events.append("opened")
    device.when_closed = lambda: events.append("closed")
    drive_open()
    assert (device.is_open, device.wait_closed(0)) == (True, False)
    drive_closed()
    assert (device.is_open, device.wait_closed(0)) == (False, True)
    assert events == ["opened", "closed"]
    device.close()


def test_wait_closed_times_out_while_open_and_returns_when_shut(factory):
    device = drawer.create({"backend": "simulated"}, pin_factory=factory)
    device.open()
    started = time.monotonic()
    assert device.wait_closed(0.05) is False
    assert time.monotonic() - started < 0.5
    threading.Timer(0.05, device.simulate_close).start()
    assert device.wait_closed(2) is True
    device.close()


def test_without_a_sensor_is_open_is_unknown_and_nobody_waits(factory):
    device = drawer.create({"backend": "gpio", "sensor_pin": False}, pin_factory=factory)
    device.when_closed = pytest.fail
    assert device.is_open is None
    assert device.wait_closed(10) is None
    device.open()
    wait_until(lambda: not factory.pin(17).state)
    factory.pin(17).assert_states([False, True, False])
    assert not factory.pin(27).states[1:]  # the sensor pin was never claimed
    device.close()


def test_simulated_open_pulses_and_springs_the_drawer_open():
    device = drawer.create({"backend": "simulated", "pulse_ms": PULSE_MS})
    events = []
    device.when_opened = lambda: events.append("opened")
    device.when_closed = lambda: events.append("closed")
    assert device.is_open is False
    device.open()
    assert device.is_open is True
    assert events == ["opened"]
    wait_until(lambda: device.pulses)
    assert device.pulses == [pytest.approx(PULSE_MS / 1000, abs=0.04)]
    assert not device.solenoid_pin.state
    device.simulate_close()
    assert (device.is_open, events) == (False, ["opened", "closed"])
    device.simulate_open()  # opened with the key: no pulse
    assert device.is_open is True
    assert len(device.pulses) == 1
    device.close()


def test_simulated_drawer_without_sensor_cannot_be_closed_by_hand():
    device = drawer.create({"backend": "simulated", "sensor_pin": False})
    assert device.sensor_pin is None
    with pytest.raises(DrawerError, match="no sensor"):
        device.simulate_close()
    device.close()


@settings(max_examples=30, deadline=None)
@given(
    wiring=st.sampled_from(list(SENSOR_WIRINGS)),
    moves=st.lists(st.booleans(), max_size=12),
)
def test_callbacks_fire_once_per_change_of_the_drawer(wiring, moves):
    pull_up, active_when_open = wiring
    options = {"sensor_pull_up": pull_up, "sensor_active_when_open": active_when_open}
    device = drawer.create({"backend": "simulated", **options})
    events = []
    device.when_opened = lambda: events.append(True)
    device.when_closed = lambda: events.append(False)
    expected, state = [], False
    for opened in moves:
        (device.simulate_open if opened else device.simulate_close)()
        if opened != state:
            expected.append(opened)
            state = opened
        assert device.is_open is state
    assert events == expected
    device.close()


@pytest.mark.parametrize(("kick_pin", "command"), [(2, CD_KICK_2), (5, CD_KICK_5)])
def test_printer_kick_sends_the_escpos_kick_through_the_printer(factory, kick_pin, command):
    printer = EscposPrinter()
    settings_ = {"backend": "printer_kick", "kick_pin": kick_pin}
    device = drawer.create(settings_, printer=printer, pin_factory=factory)
    device.open()
    assert printer.escpos.output == command
    assert device.is_open is not None  # the sensor is still read on GPIO
    device.close()


def test_printer_kick_failure_is_a_drawer_error(factory):
    options = {"backend": "printer_kick", "sensor_pin": False}
    device = drawer.create(options, printer=BrokenPrinter(), pin_factory=factory)
    with pytest.raises(DrawerError, match="printer offline"):
        device.open()
    assert device.is_open is None


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"backend": "usb"}, "unknown backend 'usb'"),
        ({"backend": "gpio", "pni": 17}, "unknown option 'pni'"),
        ({"backend": "gpio", "pin_factory": None}, "unknown option 'pin_factory'"),
        ({"backend": "gpio", "pin": 99}, "pin must be a GPIO number"),
        ({"backend": "gpio", "pin": "17"}, "pin must be a GPIO number"),
        ({"backend": "gpio", "pin": True}, "pin must be a GPIO number"),
        ({"backend": "gpio", "sensor_pin": -1}, "sensor_pin must be a GPIO number"),
        ({"backend": "gpio", "sensor_pin": 17}, "pin and sensor_pin are both GPIO 17"),
        ({"backend": "gpio", "pulse_ms": 0}, "pulse_ms must be an int from 10 to 1000"),
        ({"backend": "gpio", "pulse_ms": 5000}, "pulse_ms"),
        ({"backend": "gpio", "pulse_ms": 100.0}, "pulse_ms"),
        ({"backend": "gpio", "sensor_pull_up": "yes"}, "sensor_pull_up must be true or false"),
        ({"backend": "simulated", "sensor_active_when_open": 1}, "sensor_active_when_open"),
        ({"backend": "printer_kick"}, "needs the printer driver"),
        ({"backend": "printer_kick", "kick_pin": 3}, "kick_pin must be 2 or 5"),
    ],
)
def test_create_rejects_bad_options_naming_them(factory, options, message):
    printer = EscposPrinter() if "kick_pin" in options else None
    with pytest.raises(ValueError, match=message):
        drawer.create(options, printer=printer, pin_factory=factory)


def test_create_defaults_to_the_simulated_drawer_on_pins_17_and_27():
    device = drawer.create({})
    assert device.solenoid_pin.info.name == "GPIO17"
    assert device.sensor_pin.info.name == "GPIO27"
    device.close()
