"""Fixtures every test area may use: a real Mosquitto broker."""
import pytest

from tests.broker import Broker

USERS = {"hub": "hub-secret", "store-1/T01": "till-secret", "store-1/T02": "other-secret",
         "test/T01": "till-secret", "test/T02": "till-secret", "test/T03": "till-secret"}


@pytest.fixture
def broker(tmp_path):
    """Mosquitto on a free port with the project's configuration and test users."""
    broker = Broker(tmp_path / "broker", USERS).start()
    yield broker
    broker.stop()
