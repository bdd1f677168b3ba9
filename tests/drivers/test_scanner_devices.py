"""Scanner backends: create() options, the simulated scanner, and the evdev backend's find
and reconnect loop driven by stand-in devices that deliver real InputEvents."""
import errno
import logging
import os
import queue
import subprocess
import sys
import time

import pytest
from evdev import DeviceInfo, ecodes

from drivers.scanner import Rejection, ScannerError, create
from drivers.scanner.decoder import encode
from drivers.scanner.evdev_device import EvdevScanner
from drivers.scanner.simulated import SimulatedScanner


class FakeDevice:
    """An opened input device: ``events`` are ready to read at once, ``unplug()`` makes the
    next read fail as the kernel does. A pipe stands in for the file descriptor."""

    def __init__(self, path, name="Honeywell Barcode Scanner", vendor=0x0C2E, product=0x0B61,
                 keys=(ecodes.KEY_A, ecodes.KEY_ENTER), events=()):
        self.path, self.name = path, name
        self.info = DeviceInfo(bustype=3, vendor=vendor, product=product, version=1)
        self.keys, self.events = list(keys), list(events)
        self.grabbed = self.closed = self.gone = False
        self._read_end, self._write_end = os.pipe()
        if self.events:
            os.write(self._write_end, b"e")

    def capabilities(self):
        return {ecodes.EV_KEY: self.keys}

    def fileno(self):
        return self._read_end

    def grab(self):
        self.grabbed = True

    def read(self):
        os.read(self._read_end, 64)
        if self.gone:
            raise OSError(errno.ENODEV, "No such device")
        events, self.events = self.events, []
        return iter(events)

    def unplug(self):
        self.gone = True
        os.write(self._write_end, b"u")

    def close(self):
        if not self.closed:
            os.close(self._read_end)
            os.close(self._write_end)
            self.closed = True


class FakeInput:
    """A stand-in /dev/input: ``plugged`` maps paths to what opening them gives."""

    def __init__(self, **plugged):
        self.plugged = plugged
        self.opened = []

    def list_devices(self):
        return [f"/dev/input/{name}" for name in self.plugged]

    def open_device(self, path):
        options = self.plugged.get(path.rpartition("/")[2])
        if options is None:
            raise FileNotFoundError(errno.ENOENT, "No such file or directory", path)
        if options == "unreadable":
            raise PermissionError(errno.EACCES, "Permission denied", path)
        self.opened.append(FakeDevice(path, **options))
        return self.opened[-1]

    def close_all(self):
        for device in self.opened:
            device.close()


@pytest.fixture
def bus():
    fake = FakeInput()
    yield fake
    fake.close_all()


def wait_for(condition, timeout_s=3.0):
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def evdev_scanner(bus, **options):
    return EvdevScanner(list_devices=bus.list_devices, open_device=bus.open_device,
                        **{"name": "barcode", "rescan_s": 0.01, **options})


# create()


def test_create_defaults_to_a_simulated_us_scanner():
    scanner = create({})
    assert isinstance(scanner, SimulatedScanner)
    codes = []
    scanner.start(codes.append)
    scanner.scan("zy")
    assert codes == ["zy"]


def test_create_evdev_with_hex_ids_and_a_layout(bus):
    scanner = create({"backend": "evdev", "name": "Barcode", "vendor": "0x0c2e",
                      "product": 0x0B61, "layout": "DE", "timeout_ms": 80, "rescan_s": 2})
    assert isinstance(scanner, EvdevScanner) and not scanner.connected
    bus.plugged = {"event1": {}, "event2": {"product": 0x0B62}, "event3": {"vendor": 0x0C2F}}
    assert [scanner.matches(bus.open_device(path)) for path in bus.list_devices()] == [
        True, False, False]


@pytest.mark.parametrize("settings, message", [
    ({"backend": "hid"}, "backend: unknown 'hid'"),
    ({"backend": "simulated", "layuot": "de"}, "layuot: unknown scanner option"),
    ({"layout": "dvorak"}, "layout: unknown 'dvorak'"),
    ({"layout": 1}, "layout: unknown 1"),
    ({"timeout_ms": 0}, "timeout_ms: expected a positive number"),
    ({"timeout_ms": "50"}, "timeout_ms: expected a positive number"),
    ({"timeout_ms": True}, "timeout_ms: expected a positive number"),
    ({"rescan_s": -1}, "rescan_s: expected a positive number"),
    ({"vendor": "0xZZ"}, "vendor: '0xZZ' is not a hex USB id"),
    ({"vendor": 0x10000}, "vendor: expected a USB id"),
    ({"product": 1.5}, "product: expected a USB id"),
    ({"name": ""}, "name: expected part of the device's name"),
    ({"backend": "evdev"}, "name, vendor: the evdev backend needs one"),
    ({"backend": "evdev", "name": "scanner", "product": 1}, "product: give the vendor id too"),
])
def test_create_rejects_bad_settings_naming_the_option(settings, message):
    with pytest.raises(ValueError, match=message) as raised:
        create(settings)
    assert isinstance(raised.value, ScannerError)


def test_the_interface_imports_without_evdev():
    probe = "import sys, drivers.scanner; assert 'evdev' not in sys.modules"
    subprocess.run([sys.executable, "-c", probe], check=True, cwd=os.getcwd())


# The simulated scanner


def test_simulated_scans_go_through_the_decoder():
    scanner, codes, rejected = SimulatedScanner("fr"), [], []
    scanner.start(codes.append, lambda *why: rejected.append(why))
    scanner.scan("4006381333931")
    scanner.scan("https://tilly.example/r/42")
    scanner.scan("123", interval_s=0.2)  # a person typing
    scanner.scan("")
    assert codes == ["4006381333931", "https://tilly.example/r/42"]
    assert [reason for reason, _ in rejected] == [Rejection.TIMEOUT] * 3 + [Rejection.EMPTY]
    assert scanner.connected


def test_simulated_lifecycle_and_untypable_text():
    scanner = SimulatedScanner("de")
    with pytest.raises(RuntimeError, match="not started"):
        scanner.scan("1")
    scanner.start(print)
    with pytest.raises(RuntimeError, match="already started"):
        scanner.start(print)
    with pytest.raises(ScannerError, match=r"cannot type '\^'"):
        scanner.scan("^")
    scanner.stop()
    with pytest.raises(RuntimeError, match="not started"):
        scanner.scan("1")


# The evdev backend, on stand-in devices


def test_find_matches_name_ids_and_an_enter_key_and_closes_the_rest(bus):
    bus.plugged = {
        "event0": {"name": "Touchscreen", "keys": ()},
        "event1": "unreadable",
        "event2": {"name": "Honeywell Barcode Scanner Consumer Control",
                   "keys": (ecodes.KEY_VOLUMEUP,)},
        "event3": {},
    }
    found = evdev_scanner(bus).find()
    assert found.path == "/dev/input/event3" and not found.closed
    assert all(device.closed for device in bus.opened if device is not found)
    assert evdev_scanner(bus, vendor=0x0C2E, product=0x0001).find() is None
    assert evdev_scanner(bus, name=None, vendor=0x0C2E).find().path == "/dev/input/event3"


def test_unplug_and_replug_keeps_scanning(bus, caplog):
    codes = queue.Queue()
    bus.plugged = {"event3": {"events": encode("123")}}
    scanner = evdev_scanner(bus)
    scanner.start(codes.put)
    try:
        assert codes.get(timeout=3) == "123"
        first = bus.opened[-1]
        assert first.grabbed and scanner.connected

        bus.plugged = {}
        first.unplug()
        wait_for(lambda: not scanner.connected and first.closed)

        bus.plugged = {"event4": {"events": encode("456", "uk")}}
        assert codes.get(timeout=3) == "456"
        second = bus.opened[-1]
        assert second.grabbed and scanner.connected
    finally:
        scanner.stop()
    assert second.closed and not scanner.connected
    assert "scanner lost: /dev/input/event3" in caplog.text


def test_failing_callbacks_do_not_stop_the_reader(bus, caplog):
    delivered = queue.Queue()

    def fail(*args):
        delivered.put(args)
        raise RuntimeError("till busy")

    bus.plugged = {"event3": {"events": encode("1") + encode("", start_s=1)
                                          + encode("2", start_s=2)}}
    scanner = evdev_scanner(bus)
    with caplog.at_level(logging.ERROR):
        scanner.start(fail, fail)
        try:
            assert [delivered.get(timeout=3) for _ in range(3)] == [
                ("1",), (Rejection.EMPTY, ""), ("2",)]
        finally:
            scanner.stop()
    assert "failed on ('1',)" in caplog.text


def test_stop_while_waiting_for_the_scanner(bus):
    scanner = evdev_scanner(bus, rescan_s=60)
    scanner.start(print)
    time.sleep(0.05)
    started = time.monotonic()
    scanner.stop()
    assert time.monotonic() - started < 1 and not scanner.connected
    scanner.stop()  # a second stop is harmless
