"""``make demo``: the whole system on one machine, with simulated till hardware.

A Mosquitto of the project's configuration, the hub's processes (ingest, catalog server,
enrollment service, admin app) on a SQLite store, and two tills of the sample store. The
first run sets everything up as a shop would: the broker's logins, an admin user, the
sample store imported into the hub's catalog and published from it as version 1, and each
till enrolled with a pairing code. Later runs start from what the last one left, so sales
and enrolments survive a restart. Ctrl-C stops every process.
"""
import argparse
import json
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from . import mail
from .accounts import create_user
from .broker_process import BrokerProcess
from .customers import save_customer, values_of
from .dynsec import ADMIN, ENROLL, HUB
from .enrollment import revoke
from .models import Customer, Store, User, Voucher, open_database
from .registry import enrolled, pair
from .stores import import_store_file, publish
from .tenders import adjust_credit, issue_voucher

ROOT = Path(__file__).resolve().parent.parent
STORE_FILE = ROOT / "edge" / "data" / "sample-store.json"
TILLS = (("T01", 8700), ("T02", 8701))
WEB_PORT, BROKER_PORT, BROKER_TLS_PORT, MAIL_PORT = 8800, 18830, 18831, 8825
ADMIN_USER, ADMIN_PASSWORD = "admin", "tilly-demo"


def _secrets(directory):
    """The hub's three broker passwords, made once and kept (mode 0600)."""
    path = directory / "hub-logins.json"
    if not path.exists():
        path.write_text(json.dumps({name: secrets.token_urlsafe(16)
                                    for name in (HUB, ADMIN, ENROLL)}))
        path.chmod(0o600)
    return json.loads(path.read_text())


class Demo:
    def __init__(self, directory):
        self.directory = Path(directory).resolve()
        self.directory.mkdir(parents=True, exist_ok=True)
        self.processes = []
        self.logins = _secrets(self.directory)
        self.database_path = self.directory / "hub.sqlite3"
        self.store = json.loads(STORE_FILE.read_text())
        self.store_id = self.store["store"]["id"]

    def _spawn(self, name, *args, env=None):
        log = open(self.directory / f"{name}.log", "ab")
        process = subprocess.Popen([sys.executable, *args], cwd=ROOT, stdout=log,
                                   stderr=subprocess.STDOUT, env={**os.environ, **(env or {})})
        self.processes.append((name, process))
        return process

    def _hub(self, name, *args):
        return self._spawn(name, "-m", "hub", *args, env={
            "TILLY_HUB_PASSWORD": self.logins[HUB],
            "TILLY_HUB_ADMIN_PASSWORD": self.logins[ADMIN]})

    def _till_config(self, till, port):
        path = self.directory / till / "till.toml"
        path.parent.mkdir(exist_ok=True)
        path.write_text(
            f'[till]\nid = "{till}"\ndata_dir = "{path.parent}"\nstore_file = "{STORE_FILE}"\n'
            f'port = {port}\n[hub]\nhost = "127.0.0.1"\nport = {BROKER_PORT}\n'
            f'enroll_password = "{self.logins[ENROLL]}"\n')
        return path

    def set_up(self):
        database = open_database(self.database_path)
        if not User.select().where(User.username == ADMIN_USER).exists():
            create_user("system", ADMIN_USER, "Demo admin", "admin", ADMIN_PASSWORD)
        # The sample store into the hub's catalog once: later runs keep what admins edit.
        store = Store.get_or_none(Store.code == self.store_id) \
            or import_store_file(database, self.store, "system")
        publish(database, store, "system")  # no new version when nothing changed
        self.voucher = self._sample_tenders()
        self._sample_mail()
        database.close()

    def _sample_mail(self):
        """Campaign emails go to the demo's own mail server, which keeps them as files in
        mail/new/; the sample customers get addresses and email consent. Made once."""
        if mail.configured():
            return
        mail.save("system", {"host": "127.0.0.1", "port": str(MAIL_PORT), "security": "none",
                             "sender": "offers@tilly-demo.example"})
        for customer in Customer.select().where(Customer.email == ""):
            address = ".".join(customer.name.lower().split()) or customer.code.lower()
            save_customer("system", {**values_of(customer), "email_marketing": True,
                                     "email": f"{address}@example.com"}, customer)

    def _sample_tenders(self):
        """A voucher of 20.00 to pay with, and 10.00 of store credit for the first sample
        customer (their loyalty card attaches them); made once. The voucher's code."""
        voucher = Voucher.get_or_none(Voucher.note == "demo")
        if voucher is None:
            voucher = issue_voucher("system", 2000, note="demo")
            adjust_credit("system", self.store["customers"][0]["id"], 1000, "demo",
                          "demo-credit")
        return voucher.code

    def run(self):
        self.set_up()
        self._spawn("mail", "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{MAIL_PORT}",
                    "-c", "aiosmtpd.handlers.Mailbox", str(self.directory / "mail"))
        self.broker = BrokerProcess(self.directory / "broker", self.logins,
                                    port=BROKER_PORT, tls_port=BROKER_TLS_PORT).start()
        db = str(self.database_path)
        port = ["--port", str(BROKER_PORT)]
        self._hub("hub-ingest", "ingest", "--db", db, *port)
        self._hub("hub-catalog", "catalog", "serve", "--db", db, *port)
        self._hub("hub-enroll", "enroll-service", "--db", db, *port)
        self._hub("hub-web", "web", "--db", db, "--port", str(WEB_PORT))
        for till, till_port in TILLS:
            config = self._till_config(till, till_port)
            if not (config.parent / "hub-credentials.json").exists():
                self._enroll(till, config)
            self._spawn(till, "-m", "edge", "--config", str(config))
        self._wait_for_web()

    def _enroll(self, till, config):
        """Pair and enroll as a shop would. The enrollment service was just started and
        may not be listening yet: a try it did not hear is made again with a new code
        (a new code voids the old, so a late answer to the first cannot count)."""
        database = open_database(self.database_path)
        if enrolled(self.store_id, till):  # its login file was lost: enrol it anew
            revoke(database, {"host": "127.0.0.1", "port": BROKER_PORT, "username": ADMIN,
                              "password": self.logins[ADMIN]}, self.store_id, till)
        for _ in range(5):
            code = pair(database, self.store_id, till)
            print(f"  enrolling till {till} with pairing code {code} ...", flush=True)
            done = subprocess.run([sys.executable, "-m", "edge", "enroll", "--code", code,
                                   "--config", str(config)], cwd=ROOT, capture_output=True,
                                  text=True, timeout=120)
            if done.returncode == 0:
                break
        database.close()
        if done.returncode != 0:
            raise RuntimeError(f"till {till} could not enroll: {done.stderr.strip()}")

    def _wait_for_web(self):
        urls = [f"http://127.0.0.1:{WEB_PORT}/sign-in",
                *(f"http://127.0.0.1:{port}/api/display" for _, port in TILLS)]
        deadline = time.monotonic() + 60
        for url in urls:
            while True:
                try:
                    urllib.request.urlopen(url, timeout=2).close()
                    break
                except OSError:
                    dead = [name for name, process in self.processes if process.poll() is not None]
                    if dead or time.monotonic() > deadline:
                        raise RuntimeError(f"did not start: {', '.join(dead) or url}; see "
                                           f"the logs in {self.directory}") from None
                    time.sleep(0.2)

    def stop(self):
        for _, process in reversed(self.processes):
            if process.poll() is None:
                process.terminate()
        for _, process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        if getattr(self, "broker", None):
            self.broker.stop()


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m hub.demo", description=__doc__)
    parser.add_argument("--dir", default=str(ROOT / "var" / "demo"),
                        help="where the demo keeps its broker, hub and tills")
    args = parser.parse_args(argv)
    demo = Demo(args.dir)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        print("Starting Tilly: a broker, the hub and two tills (simulated hardware) ...",
              flush=True)
        demo.run()
        print(f"""
Tilly is running (data and logs in {demo.directory}):
  Hub admin app:     http://127.0.0.1:{WEB_PORT}/        sign in: {ADMIN_USER} / {ADMIN_PASSWORD}
  Till T01 kiosk:    http://127.0.0.1:{TILLS[0][1]}/
  Till T02 kiosk:    http://127.0.0.1:{TILLS[1][1]}/
                     PINs: cashier 1111, supervisor 2222, manager 9999
  Customer display:  http://127.0.0.1:{TILLS[0][1]}/display
  Gift voucher:      {demo.voucher} (Voucher on the tender screen); store credit
                     for loyalty card {demo.store["customers"][0]["card"]} (Store credit)
  MQTT broker:       127.0.0.1:{BROKER_PORT} (TLS {BROKER_TLS_PORT})
  Campaign emails:   {demo.directory}/mail/new/ (the demo's mail server, port {MAIL_PORT})
Sales made at a till appear on the hub (Fleet, Sale checks); receipts are saved in
{demo.directory}/T01/receipts/. Stop with Ctrl-C.""", flush=True)
        while all(process.poll() is None for _, process in demo.processes):
            time.sleep(0.5)
        stopped = [name for name, process in demo.processes if process.poll() is not None]
        print(f"stopped: {', '.join(stopped)}; see its log in {demo.directory}",
              file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    except RuntimeError as exc:
        print(f"demo: {exc}", file=sys.stderr)
        return 1
    finally:
        demo.stop()


if __name__ == "__main__":
    sys.exit(main())
