"""A real Mosquitto for the tests, started with the project's own configuration
(hub/broker/mosquitto.conf): only the listener port and the file paths are the test's.
Its logins and roles are the ones the hub writes (hub/dynsec.py)."""
import os
import pwd
import re
import shutil
import socket
import subprocess
import time
from pathlib import Path

from hub.certs import make_certificates
from hub.dynsec import ADMIN, ENROLL, write_initial_config

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "hub" / "broker" / "mosquitto.conf"
ACL = ROOT / "hub" / "broker" / "acl"
MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
# The dynamic security plugin where Debian puts it on this machine's architecture.
PLUGIN = next(iter(sorted(Path("/usr/lib").glob("*/mosquitto_dynamic_security.so"))), None)


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Broker:
    """Mosquitto in a directory of its own; ``stop`` and ``start`` again keep its port,
    its persisted queues and its logins, as a restarted broker would.

    ``users`` maps logins to passwords: "hub" gets the hub's role, "<store>/<till>" that
    till's. The hub's admin and enrollment logins are always there (``self.users``)."""

    def __init__(self, directory, users):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.process = None
        self.users = {ADMIN: "admin-secret", ENROLL: "enroll-secret", **users}
        dynsec = self.directory / "dynamic-security.json"
        write_initial_config(dynsec, self.users)
        text = CONFIG.read_text()
        text = re.sub(r"^plugin_opt_config_file .*$", f"plugin_opt_config_file {dynsec}",
                      text, flags=re.M)
        if PLUGIN:
            text = re.sub(r"^plugin .*$", f"plugin {PLUGIN}", text, flags=re.M)
        text = re.sub(r"^acl_file .*$", f"acl_file {ACL}", text, flags=re.M)
        text = re.sub(r"^persistence_location .*$",
                      f"persistence_location {self.directory}/", text, flags=re.M)
        self.tls_port = free_port()
        self.certs = make_certificates(self.directory / "certs", ["127.0.0.1", "localhost"])
        text = re.sub(r"^listener 1883 .*$", f"listener {self.port} 127.0.0.1", text,
                      flags=re.M)
        text = re.sub(r"^listener 8883$", f"listener {self.tls_port} 127.0.0.1", text,
                      flags=re.M)
        for option, name in (("cafile", "ca.crt"), ("certfile", "server.crt"),
                             ("keyfile", "server.key")):
            text = re.sub(rf"^{option} .*$", f"{option} {self.certs / name}", text,
                          flags=re.M)
        # Run as the test's own user: as root, mosquitto would switch to "mosquitto", who
        # cannot read the test's private directory.
        text += f"\nuser {pwd.getpwuid(os.getuid()).pw_name}\n"
        self.config = self.directory / "mosquitto.conf"
        self.config.write_text(text)

    def start(self):
        self.log = open(self.directory / "mosquitto.log", "ab")
        self.process = subprocess.Popen([MOSQUITTO, "-c", str(self.config)],
                                        stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return self
            except OSError:
                if self.process.poll() is not None:
                    break
                time.sleep(0.05)
        raise RuntimeError(f"mosquitto did not start: "
                           f"{(self.directory / 'mosquitto.log').read_text()}")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.log.close()
