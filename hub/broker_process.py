"""A Mosquitto of the project's own configuration (``hub/broker/mosquitto.conf``) run in a
directory of its own: the broker of ``make demo`` and of the tests.

Only the listener ports and the file paths differ from a real hub's broker: its logins and
roles are the ones the hub writes (``hub/dynsec.py``), its TLS certificates the ones
``python -m hub certs`` makes. ``stop`` and ``start`` again keep its port, its persisted
queues and its logins, as a restarted broker would.
"""
import os
import pwd
import re
import shutil
import socket
import subprocess
import time
from pathlib import Path

from .certs import make_certificates
from .dynsec import write_initial_config

BROKER = Path(__file__).resolve().parent / "broker"
MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
# The dynamic security plugin where Debian puts it on this machine's architecture.
PLUGIN = next(iter(sorted(Path("/usr/lib").glob("*/mosquitto_dynamic_security.so"))), None)


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class BrokerProcess:
    """``passwords`` maps logins to passwords (``hub/dynsec.py`` gives each its role); the
    plugin's file is written only the first time, so logins added later (enrolled tills)
    survive a restart of the demo."""

    def __init__(self, directory, passwords, port=None, tls_port=None):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.tls_port = tls_port or free_port()
        self.process = None
        dynsec = self.directory / "dynamic-security.json"
        if not dynsec.exists():
            write_initial_config(dynsec, passwords)
        self.certs = make_certificates(self.directory / "certs", ["127.0.0.1", "localhost"])
        text = (BROKER / "mosquitto.conf").read_text()
        replace = {
            "plugin_opt_config_file": f"plugin_opt_config_file {dynsec}",
            "acl_file": f"acl_file {BROKER / 'acl'}",
            "persistence_location": f"persistence_location {self.directory}/",
            "listener 1883": f"listener {self.port} 127.0.0.1",
            "listener 8883": f"listener {self.tls_port} 127.0.0.1",
            **{option: f"{option} {self.certs / name}" for option, name in (
                ("cafile", "ca.crt"), ("certfile", "server.crt"), ("keyfile", "server.key"))},
            **({"plugin": f"plugin {PLUGIN}"} if PLUGIN else {}),
        }
        for start, line in replace.items():
            text = re.sub(rf"^{start}( .*)?$", line, text, flags=re.M)
        # Run as our own user: as root, mosquitto would switch to "mosquitto", who cannot
        # read (or write, for the plugin) this private directory.
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
