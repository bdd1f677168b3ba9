"""Enrollment and revocation end to end: a real mosquitto with the project's configuration,
the hub's enrollment service, a real till and its SQLite journal."""
import datetime
import json
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from edge.app import create_app
from edge.config import load_config, merge
from edge.enrollment import CREDENTIALS, enroll, stop_links
from edge.errors import TillError
from edge.models import Outbox
from hub.certs import make_certificates
from hub.dynsec import ADMIN, ENROLL
from hub.enrollment import EnrollmentService
from hub.models import open_database
from hub.registry import EnrolledTill, PairingCode, RegistryError, pair
from shared.protocol.enrollment import REFUSED
from tests.edge.conftest import PINS, WINE, Api
from tests.edge.test_publisher import Hub, sell
from tests.hub.test_broker_roles import Client
from tests.waiting import wait_for

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def hub_db(tmp_path):
    return open_database(tmp_path / "hub.sqlite3")


@pytest.fixture
def service(hub_db, broker):
    service = EnrollmentService(hub_db, {"port": broker.port,
                                         "password": broker.users[ADMIN]})
    service.start()
    assert service.subscribed.wait(5)
    yield service
    service.stop()


@pytest.fixture
def till_app(till_config, broker):
    """Till T05 of store "test": a hub to talk to, but no login of its own yet."""
    config = merge(till_config, {"till": {"id": "T05"},
                                 "hub": {"host": "127.0.0.1", "port": broker.port,
                                         "enroll_password": broker.users[ENROLL]}})
    app = create_app(config)
    yield app
    stop_links(app.extensions["till"], app.extensions["catalog_sync"])
    app.extensions["till"].devices.close()


def manager(app):
    api = Api(app.test_client())
    api.post("/api/auth/sign-in", {"pin": PINS["S03"]})
    return api


def test_a_till_enrolls_with_a_pairing_code_and_publishes_with_its_own_login(
        hub_db, service, till_app, broker):
    hub = Hub(broker)
    api = manager(till_app)
    link, sync = till_app.extensions["till"].link, till_app.extensions["catalog_sync"]
    time.sleep(1)
    assert not link.connected.is_set()  # no login yet: its sales wait in the outbox
    assert not sync.client.is_connected()  # nor does its catalog come
    code = pair(hub_db, "test", "T05")
    assert api.post("/api/enroll", {"code": code.lower()}) == {"enrolled": "test/T05"}
    credentials = Path(till_app.config["TILL"]["till"]["data_dir"]) / CREDENTIALS
    assert stat.S_IMODE(credentials.stat().st_mode) == 0o600
    assert json.loads(credentials.read_text())["username"] == "test/T05"
    assert [(t.store, t.till, t.revoked_at) for t in EnrolledTill.select()] == \
        [("test", "T05", None)]
    assert PairingCode.select().count() == 0  # stored only until used, and only hashed
    # Both links use the new login at once, with no restart.
    wait_for(lambda: till_app.extensions["catalog_sync"].client.is_connected())
    api.post("/api/session/open", {"float": 0})
    sold = sell(api, [WINE])
    try:
        (topic, envelope), = hub.wait("sale.completed", 1)
        assert (topic, envelope.id) == ("tilly/v1/test/T05/sale", sold["uuid"])
        # The code worked once; and the login outlives a broker restart.
        assert api.post("/api/enroll", {"code": code}, status=422) == {"error": REFUSED}
        broker.stop()
        broker.start()
        wait_for(lambda: till_app.extensions["till"].link.connected.is_set())
    finally:
        hub.close()


def test_wrong_expired_and_locked_codes_are_refused_alike(hub_db, service, till_app):
    api = manager(till_app)
    code = pair(hub_db, "test", "T05")
    wrong = "ABCD-2345" if code != "ABCD-2345" else "ABCD-2346"
    for _ in range(5):
        assert api.post("/api/enroll", {"code": wrong}, status=422) == {"error": REFUSED}
    # Locked after five wrong codes: the right one no longer works either.
    assert api.post("/api/enroll", {"code": code}, status=422) == {"error": REFUSED}
    code = pair(hub_db, "test", "T05")  # a new pairing unlocks
    PairingCode.update(expires_at=datetime.datetime(2020, 1, 1)).execute()
    assert api.post("/api/enroll", {"code": code}, status=422) == {"error": REFUSED}
    assert api.post("/api/enroll", {"code": "12"}, status=422)["error"].startswith(
        "a pairing code is 8")
    assert EnrolledTill.select().count() == 0


def test_only_a_manager_enrolls_and_an_enrolled_till_is_not_paired_again(
        hub_db, service, till_app):
    cashier = Api(till_app.test_client())
    cashier.post("/api/auth/sign-in", {"pin": PINS["S01"]})
    code = pair(hub_db, "test", "T05")
    assert "manager" in cashier.post("/api/enroll", {"code": code}, status=403)["error"]
    manager(till_app).post("/api/enroll", {"code": code})
    with pytest.raises(RegistryError, match="revoke it first"):
        pair(hub_db, "test", "T05")


def hub_command(*args):
    return subprocess.run([sys.executable, "-m", "hub", *args], cwd=ROOT, text=True,
                          capture_output=True, timeout=60)


def unsent():
    """Outbox rows the broker has not taken (PUBACK) yet."""
    return Outbox.select().where(Outbox.sent_at.is_null()).count()


def test_pair_enroll_and_revoke_from_the_command_line(tmp_path, service, broker,
                                                      store_file):
    """``hub pair``, ``edge enroll``, ``hub revoke``: the revoked till is disconnected at
    once, cannot come back, and keeps its sales in its outbox."""
    paired = hub_command("pair", "--db", str(tmp_path / "hub.sqlite3"), "--store", "test",
                         "--till", "T05")
    code = paired.stdout.split(": ")[1].split()[0]
    config = tmp_path / "till.toml"
    config.write_text(f'[till]\nid = "T05"\ndata_dir = "{tmp_path / "till"}"\n'
                      f'store_file = "{store_file}"\n[hub]\nhost = "127.0.0.1"\n'
                      f'port = {broker.port}\nenroll_password = "{broker.users[ENROLL]}"\n')
    enrolled = subprocess.run([sys.executable, "-m", "edge", "enroll", "--code", code,
                               "--config", str(config)], cwd=ROOT, text=True,
                              capture_output=True, timeout=60)
    assert enrolled.returncode == 0, enrolled.stderr
    assert "test/T05" in enrolled.stdout
    app = create_app(load_config(str(config)))
    till = app.extensions["till"]
    try:
        api = manager(app)
        api.post("/api/session/open", {"float": 0})
        wait_for(till.link.connected.is_set)
        sell(api, [WINE])
        # No ingest here to confirm it: what counts is that the broker took it.
        wait_for(lambda: unsent() == 0)
        revoked = subprocess.run(
            [sys.executable, "-m", "hub", "revoke", "--db", str(tmp_path / "hub.sqlite3"),
             "--store", "test", "--till", "T05", "--port", str(broker.port)], cwd=ROOT,
            text=True, capture_output=True, timeout=60,
            env={**os.environ, "TILLY_HUB_ADMIN_PASSWORD": broker.users[ADMIN]})
        assert revoked.returncode == 0, revoked.stderr
        wait_for(lambda: not till.link.connected.is_set(), timeout=5)
        sell(api, [WINE])
        time.sleep(2.5)  # the link retries after 1 s, then 2 s: refused each time
        assert not till.link.connected.is_set()
        assert unsent() == 1  # nothing lost: it waits in the outbox
        assert EnrolledTill.get().revoked_at is not None
    finally:
        till.link.stop()
        till.devices.close()


def test_hub_commands_explain_what_went_wrong(tmp_path, broker):
    refused = hub_command("revoke", "--db", str(tmp_path / "hub.sqlite3"), "--store", "test",
                          "--till", "T05", "--port", str(broker.port), "--password", "wrong")
    assert refused.returncode == 1
    assert "refused the hub's admin login" in refused.stderr
    bad = hub_command("pair", "--db", str(tmp_path / "hub.sqlite3"), "--store", "a/b",
                      "--till", "T05")
    assert bad.returncode == 1 and "store 'a/b'" in bad.stderr
    reserved = hub_command("pair", "--db", str(tmp_path / "hub.sqlite3"), "--store", "hub",
                           "--till", "catalog")
    assert reserved.returncode == 1 and "reserved" in reserved.stderr
    init = hub_command("broker-init", "--out", str(tmp_path / "etc"))
    assert init.returncode == 0
    assert stat.S_IMODE((tmp_path / "etc" / "hub.env").stat().st_mode) == 0o600
    again = hub_command("broker-init", "--out", str(tmp_path / "etc"))
    assert again.returncode == 1 and "holds the enrolled tills' logins" in again.stderr


def test_a_till_enrolls_over_tls_only_with_a_broker_it_trusts(hub_db, service, till_config,
                                                               broker, tmp_path):
    def config(ca):
        return merge(till_config, {"till": {"id": "T05"}, "hub": {
            "host": "127.0.0.1", "port": broker.tls_port, "tls_ca": str(ca),
            "enroll_password": broker.users[ENROLL]}})

    code = pair(hub_db, "test", "T05")
    stranger = make_certificates(tmp_path / "other", ["127.0.0.1"]) / "ca.crt"
    with pytest.raises(TillError, match="cannot reach the hub's broker") as refused:
        enroll(config(stranger), "test", code)
    assert refused.value.status == 503
    assert enroll(config(broker.certs / "ca.crt"), "test", code) == "test/T05"


def test_malformed_requests_get_a_clear_answer_and_the_service_goes_on(service, broker):
    client = Client(broker, ENROLL, client_id="enroll-probe")
    try:
        assert client.subscribe("tilly/v1/enroll/enroll-probe/reply")
        for payload, error in ((b"\xff not json", "request is not JSON"),
                               (b"[1]", "request is not a JSON object"),
                               (json.dumps({"code": "ABCD-2345", "store": "a/b", "till": "T1",
                                            "password": "x" * 20}), "store 'a/b'"),
                               (json.dumps({"code": "ABCD-2345", "store": "test",
                                            "till": "T1", "password": "short"}), "password")):
            client.publish("tilly/v1/enroll/enroll-probe/request", payload)
            reply = json.loads(client.next_payload())
            assert reply["ok"] is False and error in reply["error"], reply
    finally:
        client.close()
