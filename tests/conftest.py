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

# The longest tests (tens of seconds each on a 2-core machine), started first: pytest-xdist
# hands tests out in collection order, so one of these picked up last would leave the other
# worker idle while it runs. Node ids or their beginnings.
SLOWEST_FIRST = (
    "tests/hub/test_faults.py::test_a_till_reconnecting_with_20000_sales_queued",
    "tests/hub/test_faults.py::test_kill_9_on_a_till_while_it_publishes",
    "tests/edge/test_crash.py::test_kill_9_loses_nothing",
    "tests/pricing/test_properties.py::test_best_deal_is_optimal",
    "tests/pricing/test_fuzz_validation.py::test_mutated_requests_are_refused_cleanly",
    "tests/pricing/test_properties.py::test_compiled_equals_pure_and_invariants",
    "tests/hub/test_faults.py",
)


def pytest_collection_modifyitems(items):
    """Run the SLOWEST_FIRST tests first, in that order; the rest keep theirs."""
    def rank(item):
        return next((n for n, slow in enumerate(SLOWEST_FIRST)
                     if item.nodeid.startswith(slow)), len(SLOWEST_FIRST))

    items.sort(key=rank)


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
