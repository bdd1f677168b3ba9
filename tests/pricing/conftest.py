"""Pricing tests: make the watchdog's hang report reach the terminal despite capturing."""
import os

import pytest

from tests.pricing import watchdog


@pytest.fixture(scope="session", autouse=True)
def _hang_reports_to_terminal(pytestconfig):
    """Give the watchdog a duplicate of the real stderr, taken while capture is off."""
    capture = pytestconfig.pluginmanager.getplugin("capturemanager")
    if capture is None:
        yield
        return
    with capture.global_and_fixture_disabled():
        terminal = os.fdopen(os.dup(2), "w")
    watchdog.report_to(terminal)
    yield
    watchdog.report_to(None)
    terminal.close()
