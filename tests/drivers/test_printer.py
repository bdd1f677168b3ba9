"""Receipt printer driver: create() options, the simulated printer, and real transports
(network against a fake ESC/POS printer on loopback, a device file) with their errors mapped."""
import socket
import threading
import time

import pytest
from escpos.constants import CD_KICK_2, CD_KICK_5

from drivers import printer
from drivers.printer import (
    InvalidReceipt,
    PrinterState,
    PrinterUnavailable,
    receipt,
)
from drivers.printer.simulated import SimulatedPrinter
from tests.drivers.test_receipt import SALE, sale


def simulated_bytes(**options):
    """What any backend must send for SALE with these options."""
    reference = printer.create({"backend": "simulated", **options})
    reference.print_receipt(SALE)
    return reference.last_bytes


# -- create() ------------------------------------------------------------------------------
def test_default_is_a_simulated_80mm_printer():
    made = printer.create({})
    assert isinstance(made, SimulatedPrinter)
    assert (made.width, made.profile, made.cut, made.code) == (42, "default", True, "code128")
    assert made.directory is None


def test_width_defaults_to_the_profile_columns():
    assert printer.create({"profile": "POS-5890"}).width == 32
    assert printer.create({"profile": "TM-T88V", "width": 48}).width == 48


def test_backend_defaults():
    network = printer.create({"backend": "network", "host": "printer.local"})
    assert (network.host, network.port, network.timeout) == ("printer.local", 9100, 5.0)
    serial = printer.create({"backend": "serial"})
    assert (serial.device, serial.baudrate) == ("/dev/ttyUSB0", 19200)
    assert printer.create({"backend": "file"}).path == "/dev/usb/lp0"


@pytest.mark.parametrize("vendor", ["0x04b8", "04B8", 0x04B8])
def test_usb_ids_are_hex_text_or_ints(vendor):
    usb = printer.create({"backend": "usb", "vendor": vendor, "product": "0x0e15",
                          "out_ep": "0x02", "profile": "TM-T88V"})
    assert (usb.vendor, usb.product, usb.in_ep, usb.out_ep) == (0x04B8, 0x0E15, 0x82, 0x02)


@pytest.mark.parametrize(("settings", "message"), [
    ({"backend": "laser"}, "unknown printer backend 'laser'"),
    ({"backend": "network"}, "'host' is required"),
    ({"backend": "network", "host": "p", "port": "9100"}, "'port' must be an integer"),
    ({"backend": "network", "host": "p", "port": 70000}, "'port' must be from 1 to 65535"),
    ({"backend": "network", "host": "p", "timeout": 0}, "'timeout'"),
    ({"backend": "network", "host": ""}, "'host' must not be empty"),
    ({"backend": "usb", "product": 1}, "'vendor' is required"),
    ({"backend": "usb", "vendor": "zz", "product": 1}, "'vendor' is not hex"),
    ({"backend": "serial", "baudrate": True}, "'baudrate' must be an integer"),
    ({"backend": "simulated", "colour": True}, r"unknown printer option\(s\).*colour"),
    ({"width": 10}, "'width' must be from 24 to 80"),
    ({"width": "42"}, "'width' must be an integer"),
    ({"profile": "TM-XYZ"}, "'profile' must be one of"),
    ({"code": "ean13"}, "'code' must be one of code128, qr, both, none"),
    ({"cut": "yes"}, "'cut' must be true or false"),
    ({"offline": 1}, "'offline' must be true or false"),
])
def test_bad_settings_are_named(settings, message):
    with pytest.raises(ValueError, match=message):
        printer.create(settings)


def test_settings_must_be_a_table():
    with pytest.raises(ValueError, match="must be a table"):
        printer.create(["simulated"])


# -- simulated backend -----------------------------------------------------------------------
def test_simulated_saves_bytes_and_text_per_receipt(tmp_path):
    till = printer.create({"backend": "simulated", "directory": str(tmp_path / "receipts")})
    till.print_receipt(SALE)
    first = tmp_path / "receipts" / "T01-000042-1.bin"
    assert till.last_path == first
    assert first.read_bytes() == till.last_bytes
    assert first.with_suffix(".txt").read_text(encoding="utf-8") == till.last_text
    assert till.last_text == receipt.plain_text(receipt.layout(SALE, 42))
    assert till.last_bytes.endswith(b"\x1dV\x00")
    till.print_receipt(sale(reprint=True))
    second = tmp_path / "receipts" / "T01-000042-2.txt"
    assert "*** REPRINT ***" in second.read_text(encoding="utf-8")
    assert first.read_bytes() != till.last_bytes


def test_simulated_without_directory_keeps_the_last_receipt_in_memory():
    till = printer.create({"backend": "simulated", "width": 32, "cut": False})
    till.print_receipt(SALE)
    assert till.last_text.splitlines()[-1].strip() == "Thank you!"
    assert max(map(len, till.last_text.splitlines())) == 32
    assert b"\x1dV" not in till.last_bytes
    assert till.last_path is None


def test_sale_ref_cannot_escape_the_directory(tmp_path):
    till = SimulatedPrinter(tmp_path)
    till.print_receipt(sale(sale_ref="../../etc/passwd"))
    assert till.last_path.parent == tmp_path
    assert till.last_path.name == "______etc_passwd-1.bin"


def test_simulated_offline_refuses_then_recovers(tmp_path):
    till = printer.create({"backend": "simulated", "directory": str(tmp_path), "offline": True})
    with pytest.raises(PrinterUnavailable, match="offline"):
        till.print_receipt(SALE)
    assert till.status().state is PrinterState.OFFLINE
    assert list(tmp_path.iterdir()) == []
    till.set_offline(False)
    assert till.status().state is PrinterState.ONLINE
    till.print_receipt(SALE)
    assert till.last_path.exists()


def test_simulated_paper_out_and_low(tmp_path):
    till = SimulatedPrinter(tmp_path, paper_out=True)
    with pytest.raises(PrinterUnavailable, match="out of paper"):
        till.print_receipt(SALE)
    assert till.status().state is PrinterState.PAPER_OUT
    assert till.last_bytes is None
    till.set_paper_out(False)
    till.set_paper_low(True)
    till.print_receipt(SALE)  # low paper still prints
    status = till.status()
    assert status.state is PrinterState.PAPER_LOW and "low" in status.message


def test_a_malformed_document_prints_nothing(tmp_path):
    till = SimulatedPrinter(tmp_path)
    with pytest.raises(InvalidReceipt, match="total"):
        till.print_receipt(sale(total="4.22"))
    assert isinstance(InvalidReceipt("x"), ValueError)
    assert list(tmp_path.iterdir()) == [] and till.last_bytes is None


def test_an_unwritable_directory_is_unavailable(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(PrinterUnavailable, match="cannot save"):
        SimulatedPrinter(blocker).print_receipt(SALE)


def test_simulated_drawer_kick():
    till = SimulatedPrinter()
    till.kick_drawer()
    till.kick_drawer(5)
    assert till.drawer_kicks == 2
    with pytest.raises(ValueError, match="pin must be 2 or 5"):
        till.kick_drawer(3)
    till.set_offline(True)
    with pytest.raises(PrinterUnavailable):
        till.kick_drawer()
    assert till.drawer_kicks == 2


# -- network backend against a fake printer on loopback ---------------------------------------
ONLINE, OFFLINE = 0x16, 0x1E  # DLE EOT 1 replies: bit 3 set means offline
PAPER_OK, PAPER_LOW, PAPER_OUT = 0x12, 0x1E, 0x72  # DLE EOT 4 replies


class FakeNetworkPrinter:
    """An ESC/POS printer on 127.0.0.1 that answers status queries (unless silent) and keeps
    every byte it receives."""

    def __init__(self, online=ONLINE, paper=PAPER_OK, silent=False):
        self.replies = {b"\x10\x04\x01": online, b"\x10\x04\x04": paper}
        self.silent = silent
        self.received = bytearray()
        self.server = socket.create_server(("127.0.0.1", 0))
        self.server.settimeout(0.05)
        self.port = self.server.getsockname()[1]
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self.stopping.is_set():
            try:
                conn, _ = self.server.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(5)
                while chunk := conn.recv(65536):
                    self.received += chunk
                    if chunk in self.replies and not self.silent:
                        conn.sendall(bytes([self.replies[chunk]]))

    def wait_for(self, data: bytes, seconds: float = 5.0) -> bool:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if bytes(self.received).endswith(data):
                return True
            time.sleep(0.01)
        return False

    def close(self):
        self.stopping.set()
        self.thread.join(5)
        self.server.close()


@pytest.fixture
def fake_printer(request):
    fake = FakeNetworkPrinter(**getattr(request, "param", {}))
    yield fake
    fake.close()


def network(port, **options):
    return printer.create({"backend": "network", "host": "127.0.0.1", "port": port,
                           "timeout": 0.3, **options})


def test_network_printer_gets_the_same_bytes_as_the_simulated_one(fake_printer):
    net = network(fake_printer.port, code="both")
    assert net.status().state is PrinterState.ONLINE
    net.print_receipt(SALE)
    assert fake_printer.wait_for(simulated_bytes(code="both"))
    net.kick_drawer(5)
    assert fake_printer.wait_for(CD_KICK_5)


@pytest.mark.parametrize(("fake_printer", "state", "message"), [
    ({"paper": PAPER_OUT}, PrinterState.PAPER_OUT, "out of paper"),
    ({"online": OFFLINE}, PrinterState.OFFLINE, "offline"),
], indirect=["fake_printer"])
def test_network_printer_that_cannot_print_is_unavailable(fake_printer, state, message):
    net = network(fake_printer.port)
    assert net.status().state is state
    with pytest.raises(PrinterUnavailable, match=message):
        net.print_receipt(SALE)
    time.sleep(0.1)
    assert b"Corner Grocer" not in fake_printer.received


@pytest.mark.parametrize("fake_printer", [{"paper": PAPER_LOW}], indirect=True)
def test_network_printer_low_on_paper_still_prints(fake_printer):
    net = network(fake_printer.port)
    assert net.status().state is PrinterState.PAPER_LOW
    net.print_receipt(SALE)
    assert fake_printer.wait_for(simulated_bytes())


@pytest.mark.parametrize("fake_printer", [{"silent": True}], indirect=True)
def test_network_printer_that_never_answers_status_is_given_a_try(fake_printer):
    net = network(fake_printer.port)
    started = time.monotonic()
    status = net.status()
    assert status.state is PrinterState.UNKNOWN and "did not answer" in status.message
    assert time.monotonic() - started < 2
    net.print_receipt(SALE)
    assert fake_printer.wait_for(simulated_bytes())


def test_network_printer_on_a_closed_port_is_unavailable_quickly():
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]  # free once the probe closes: connections are refused
    net = network(port)
    started = time.monotonic()
    with pytest.raises(PrinterUnavailable, match=f"network printer 127.0.0.1:{port}"):
        net.print_receipt(SALE)
    with pytest.raises(PrinterUnavailable):
        net.kick_drawer()
    status = net.status()
    assert status.state is PrinterState.OFFLINE and "refused" in status.message
    assert time.monotonic() - started < 2


# -- device file, serial and USB ------------------------------------------------------------
def test_file_printer_writes_the_receipt_to_the_device(tmp_path):
    device = tmp_path / "lp0"
    device.touch()
    lp = printer.create({"backend": "file", "path": str(device)})
    assert lp.status().state is PrinterState.UNKNOWN
    lp.print_receipt(SALE)
    assert device.read_bytes() == simulated_bytes()
    lp.kick_drawer()
    assert device.read_bytes() == CD_KICK_2


def test_file_printer_unplugged(tmp_path):
    missing = tmp_path / "lp0"
    lp = printer.create({"backend": "file", "path": str(missing)})
    with pytest.raises(PrinterUnavailable, match="is not there"):
        lp.print_receipt(SALE)
    assert lp.status().state is PrinterState.OFFLINE
    assert not missing.exists()  # never created as a plain file


@pytest.mark.parametrize("settings", [
    {"backend": "serial", "device": "/dev/tilly-no-such-tty"},
    {"backend": "usb", "vendor": "0xfff0", "product": "0xfff1"},
])
def test_serial_and_usb_without_a_printer_are_unavailable(settings):
    # Whether pyserial/pyusb are missing or the device is: PrinterUnavailable, never a raw error.
    device = printer.create(settings)
    with pytest.raises(PrinterUnavailable):
        device.print_receipt(SALE)
    status = device.status()
    assert status.state is PrinterState.OFFLINE and status.message
