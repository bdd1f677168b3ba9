"""Fixtures every test area may use: a real Mosquitto broker."""
import pytest
from hypothesis import settings

from tests.broker import Broker

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
