"""The till's enrollment: a one-time pairing code from the hub buys the till its own
broker login, kept in its data directory and used by its link from then on.

The till chooses its password itself (``secrets``), so it never travels back from the
hub. It sends ``{code, store, till, password}`` with the shared enrollment login
(``[hub] enroll_username``/``enroll_password``), which may only write its own request and
read its own reply, under a random client id (docs/protocol.md, Security).
"""
import json
import logging
import os
import queue
import secrets
import time
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from shared.protocol.enrollment import (
    ENROLL_REPLY,
    ENROLL_REQUEST,
    EnrollmentError,
    normalize_code,
)

from .errors import TillError
from .publisher import Publisher

CREDENTIALS = "hub-credentials.json"  # in the till's data directory, mode 0600
log = logging.getLogger(__name__)


def _credentials_path(config):
    return Path(config["till"]["data_dir"]) / CREDENTIALS


def link_settings(config):
    """The ``[hub]`` section, with the login the till got at enrollment if it has one."""
    path = _credentials_path(config)
    try:
        stored = json.loads(path.read_text())
        login = {"username": str(stored["username"]), "password": str(stored["password"])}
    except FileNotFoundError:
        login = {}
    except (OSError, ValueError, TypeError, KeyError) as exc:
        # The till sells on and keeps its outbox; enrolling again writes a good file.
        log.error("cannot use %s (%s): enroll the till again", path, exc)
        login = {}
    return {**config["hub"], **login}


def start_links(till, sync, config):
    """The till's two links to the hub, sales out (``till.link``) and its catalog in
    (``sync``), started with its current login."""
    settings = link_settings(config)
    till.link = Publisher(till.journal, till.catalog.store["id"], till.till_id, settings,
                          till.catalog.version)
    till.link.start()
    sync.start(till, till.catalog.store["id"], till.till_id, settings)


def stop_links(till, sync):
    if till.link is not None:
        till.link.stop()
    sync.stop()


def _save_credentials(config, username, password):
    path = _credentials_path(config)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".new")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        json.dump({"username": username, "password": password}, handle)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(partial, path)


class _Exchange:
    """One request and its reply over a short-lived connection of the enrollment login."""

    def __init__(self, hub, timeout):
        self.deadline = time.monotonic() + timeout
        self.events = queue.Queue()
        self.client_id = f"enroll-{secrets.token_hex(8)}"
        client = self.client = mqtt.Client(CallbackAPIVersion.VERSION2,
                                           client_id=self.client_id, protocol=mqtt.MQTTv5)
        client.username_pw_set(hub.get("enroll_username", "enroll"),
                               hub.get("enroll_password"))
        if hub.get("tls_ca"):
            client.tls_set(ca_certs=hub["tls_ca"])
        client.on_connect = lambda c, u, f, reason, p: self.events.put(reason)
        client.on_subscribe = lambda c, u, mid, reasons, p: self.events.put(reasons[0])
        client.on_message = lambda c, u, message: self.events.put(message.payload)
        self.address = (hub["host"], int(hub.get("port", 1883)))

    def run(self, request):
        try:
            self.client.connect(*self.address, keepalive=30)
        except OSError as exc:
            raise TillError(f"cannot reach the hub's broker at {self.address[0]}:"
                            f"{self.address[1]}: {exc}", 503) from None
        self.client.loop_start()
        try:
            self._expect("the broker refused the enrollment login ([hub] enroll_password)")
            self.client.subscribe(ENROLL_REPLY.format(client=self.client_id), qos=1)
            self._expect("the broker refused the enrollment reply topic")
            self.client.publish(ENROLL_REQUEST.format(client=self.client_id),
                                json.dumps(request), qos=1)
            return self._next()
        finally:
            self.client.disconnect()
            self.client.loop_stop()

    def _next(self):
        try:
            return self.events.get(timeout=max(0.0, self.deadline - time.monotonic()))
        except queue.Empty:
            raise TillError("no answer from the hub: is its enrollment service running?",
                            504) from None

    def _expect(self, refused):
        reason = self._next()
        if reason.is_failure:
            raise TillError(f"{refused}: {reason}", 503)


def _reply(payload):
    try:
        reply = json.loads(payload)
        if isinstance(reply, dict) and isinstance(reply.get("ok"), bool):
            return reply
    except (UnicodeDecodeError, json.JSONDecodeError):
        pass
    raise TillError("the hub's answer could not be read", 502)


def enroll(config, store, code, timeout=20):
    """Enroll the till as ``<store>/<till id>`` with ``code``; its login is saved and the
    user name returned. TillError with what went wrong otherwise."""
    if not config["hub"].get("host"):
        raise TillError("no hub configured: set [hub] host in the till's configuration", 409)
    try:
        code = normalize_code(code)
    except EnrollmentError as exc:
        raise TillError(str(exc), 422) from None
    password = secrets.token_urlsafe(32)
    till = config["till"]["id"]
    reply = _reply(_Exchange(config["hub"], timeout).run(
        {"code": code, "store": store, "till": till, "password": password}))
    if not reply["ok"]:
        raise TillError(str(reply.get("error", "refused")), 422)
    if reply.get("username") != f"{store}/{till}":
        raise TillError("the hub's answer is for another till", 502)
    _save_credentials(config, reply["username"], password)
    return reply["username"]
