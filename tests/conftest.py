"""Fixtures every test area may use: a real Mosquitto broker, and headless Chromium (one
Playwright for the whole run: two would clash in one process)."""
from pathlib import Path

import pytest
from hypothesis import settings

from tests.broker import Broker
from tests.edge.browser import CHROMIUM, launch_chromium

# Property tests check behaviour, not speed (benchmarks do that): no per-example deadline,
# which a busy 2-core machine would otherwise trip at random.
settings.register_profile("tilly", deadline=None)
settings.load_profile("tilly")

USERS = {"hub": "hub-secret", "store-1/T01": "till-secret", "store-1/T02": "other-secret",
         "test/T01": "till-secret", "test/T02": "till-secret", "test/T03": "till-secret"}


@pytest.fixture
def broker(tmp_path):
    """Mosquitto on a free port with the project's configuration and test users."""
    broker = Broker(tmp_path / "broker", USERS).start()
    yield broker
    broker.stop()


@pytest.fixture(scope="session")
def chromium():
    """Headless Chromium through Playwright, one for all the browser tests."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"browser tests need Debian's chromium at {CHROMIUM}: `make setup` "
                    "installs it")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        yield browser
        browser.close()
