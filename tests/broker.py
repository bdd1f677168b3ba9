"""A real Mosquitto for the tests, started with the project's own configuration
(hub/broker/mosquitto.conf, through hub/broker_process.py): only the listener ports and
the file paths are the test's. Its logins and roles are the ones the hub writes."""
from pathlib import Path

from hub.broker_process import BrokerProcess, free_port
from hub.dynsec import ADMIN, ENROLL

ROOT = Path(__file__).resolve().parent.parent

__all__ = ["ROOT", "Broker", "free_port"]


class Broker(BrokerProcess):
    """Mosquitto in a directory of its own, on free ports.

    ``users`` maps logins to passwords: "hub" gets the hub's role, "<store>/<till>" that
    till's. The hub's admin and enrollment logins are always there (``self.users``)."""

    def __init__(self, directory, users):
        self.users = {ADMIN: "admin-secret", ENROLL: "enroll-secret", **users}
        super().__init__(directory, self.users)
