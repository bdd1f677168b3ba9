"""Paying with a voucher at the kiosk, in real headless Chromium at 800x480: the till in its
own process asks a real ingest worker through a real Mosquitto."""
import pytest
from playwright.sync_api import expect

from hub import tenders
from hub.ingest import Ingest
from hub.models import TillPresence, Voucher, open_database
from tests.conftest import USERS
from tests.mqtt_clients import hub_online
from tests.waiting import wait_for

from .browser import TillServer, key_in, scan_into_code_box, sign_in
from .conftest import PINS, VIEWPORTS, WINE


@pytest.fixture
def viewport():
    return VIEWPORTS[0]


@pytest.fixture
def hub(tmp_path, broker):
    database = open_database(tmp_path / "hub.sqlite3")
    worker = Ingest(database, {"port": broker.port, "password": USERS["hub"]}, "1")
    worker.start()
    wait_for(lambda: hub_online(broker))
    yield database
    worker.stop()


@pytest.fixture
def till_server(tmp_path, store_file, broker, hub):
    config = tmp_path / "till.toml"
    config.write_text(f'[hub]\nhost = "127.0.0.1"\nport = {broker.port}\n'
                      'password = "till-secret"\n')
    with TillServer(store_file, tmp_path / "till-server",
                    extra=["--config", str(config)]) as server:
        # Its birth reached the hub: the link is up, and has the hub's state.
        wait_for(lambda: TillPresence.select().where(TillPresence.online).exists())
        yield server


def test_a_voucher_pays_at_the_kiosk(kiosk, hub):
    voucher = tenders.issue_voucher("admin", 2000)
    sign_in(kiosk, PINS["S01"])
    scan_into_code_box(kiosk, WINE)
    kiosk.tap("pay")
    kiosk.shot("0-tender")
    kiosk.tap("tender-voucher")
    kiosk("voucher-code").fill("NOT-A-VOUCHER")
    kiosk.tap("voucher-pay")
    expect(kiosk("banner-text")).to_contain_text("voucher refused: no voucher with that code")
    # 5.00 keyed, paid by the voucher, then taken off again (supervisor).
    key_in(kiosk, "tender-pad", "500")
    kiosk.tap("tender-voucher")
    kiosk("voucher-code").fill(voucher.code)
    kiosk.tap("voucher-pay")
    expect(kiosk("payment")).to_contain_text(f"Voucher ••{voucher.code[-4:]} (£15.00 left)")
    kiosk.shot("1-part-paid")
    kiosk.tap("payment-take-off")
    key_in(kiosk, "approval-pad", PINS["S02"])
    kiosk.tap("approval-enter")
    expect(kiosk("payment")).to_have_count(0)
    kiosk.tap("tender-voucher")
    kiosk("voucher-code").fill(voucher.code.lower())
    kiosk.shot("2-voucher-code")
    kiosk.tap("voucher-pay")
    expect(kiosk("screen-complete")).to_be_visible()
    expect(kiosk("complete-info")).to_contain_text(f"Voucher ••{voucher.code[-4:]} "
                                                   "(£10.41 left)")
    kiosk.shot("3-paid-by-voucher")
    wait_for(lambda: Voucher.get().balance == 1041)  # the release reached the hub too
