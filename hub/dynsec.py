"""The broker's logins and roles, kept by Mosquitto's dynamic security plugin.

``initial_config`` writes the plugin's first JSON file (the hub's own logins and the
roles); after that the hub adds and removes each till's login at runtime with ``Control``,
over ``$CONTROL/dynamic-security/v1``, and the broker keeps running. Every access is
granted by a role: the plugin's defaults deny everything. Mosquitto 2.0.11's plugin has no
``%c`` in its ACLs, so the enrollment login's per-connection topics are in
``hub/broker/acl``, which Mosquitto consults only when no role here decides.
"""
import base64
import hashlib
import json
import queue
import secrets
import uuid

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from shared.protocol.enrollment import ENROLL_REPLY, ENROLL_REQUEST, check_names

CONTROL = "$CONTROL/dynamic-security/v1"
ADMIN, HUB, ENROLL = "hub-admin", "hub", "enroll"  # the hub's own logins


class BrokerAdminError(RuntimeError):
    """The broker could not be reached, or refused a change; the message says why."""


def _acl(acltype, topic, allow=True, priority=0):
    return {"acltype": acltype, "topic": topic, "allow": allow, "priority": priority}


def _reads(*topics):
    return [_acl(kind, topic) for topic in topics
            for kind in ("subscribePattern", "publishClientReceive")]


def till_role_name(store, till):
    """One role per till; "/" is in no store or till name, so no two tills share one."""
    return f"till/{store}/{till}"


def till_role(store, till):
    """A till writes only its own topics, reads only what the hub sends to it or its store."""
    check_names(store, till)
    return {"rolename": till_role_name(store, till), "acls": [
        _acl("publishClientSend", f"tilly/v1/{store}/{till}/#"),
        *_reads(f"tilly/v1/hub/{store}/{till}/#", f"tilly/v1/hub/{store}/catalog/#",
                "tilly/v1/hub/state"),
        # Denied here, not left to hub/broker/acl (which would grant any subscription).
        _acl("subscribePattern", "#", allow=False, priority=-1)]}


ROLES = [
    {"rolename": ADMIN, "acls": [
        _acl("publishClientSend", CONTROL), *_reads(f"{CONTROL}/response"),
        # The enrollment service: requests carry the tills' new passwords.
        *_reads(ENROLL_REQUEST.format(client="+")),
        _acl("publishClientSend", ENROLL_REPLY.format(client="+"))]},
    {"rolename": HUB, "acls": [
        # Not the enrollment requests (they carry passwords): denied before tilly/v1/#.
        _acl("publishClientReceive", "tilly/v1/enroll/#", allow=False, priority=1),
        *_reads("tilly/v1/#"),  # shared subscriptions ($share/...) are checked as these
        _acl("publishClientSend", "tilly/v1/hub/#")]},
    {"rolename": ENROLL, "acls": []},  # its topics are in hub/broker/acl (%c)
]


def hashed(password):
    """The plugin's stored form of a password: PBKDF2-SHA512, a 12-byte salt, 101 rounds
    (what ``mosquitto_ctrl`` writes; the broker hashes them itself at runtime)."""
    salt = secrets.token_bytes(12)
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, 101)
    return {"password": base64.b64encode(digest).decode(),
            "salt": base64.b64encode(salt).decode(), "iterations": 101}


def role_for(username):
    """The role a login gets: the hub's three by name, a till's from "<store>/<till>"."""
    if username in (ADMIN, HUB, ENROLL):
        return username, None
    store, till = username.split("/")
    return till_role_name(store, till), till_role(store, till)


def initial_config(passwords):
    """The plugin's JSON: ``passwords`` maps logins (the hub's, tills') to passwords."""
    roles, clients = list(ROLES), []
    for username, password in passwords.items():
        rolename, role = role_for(username)
        if role:
            roles.append(role)
        clients.append({"username": username, "roles": [{"rolename": rolename}],
                        **hashed(password)})
    return {"defaultACLAccess": {"publishClientSend": False, "publishClientReceive": False,
                                 "subscribe": False, "unsubscribe": True},
            "clients": clients, "roles": roles}


def write_initial_config(path, passwords):
    path.write_text(json.dumps(initial_config(passwords), indent=1))
    path.chmod(0o600)


def add_till_commands(store, till, password):
    username = f"{store}/{till}"
    return [*remove_till_commands(store, till),
            {"command": "createRole", **till_role(store, till)},
            {"command": "createClient", "username": username, "password": password,
             "roles": [{"rolename": till_role_name(store, till)}]}]


def remove_till_commands(store, till):
    """Deleting the login disconnects a till that is connected with it."""
    return [{"command": "deleteClient", "username": f"{store}/{till}"},
            {"command": "deleteRole", "rolename": till_role_name(store, till)}]


class Control:
    """A connection to the plugin's control topic as the hub's admin login."""

    def __init__(self, settings, timeout=10):
        self.timeout = timeout
        self.responses = queue.Queue()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2,
                                  client_id=f"hub-admin-{uuid.uuid4().hex[:12]}",
                                  protocol=mqtt.MQTTv5)
        self.client.username_pw_set(settings.get("username", ADMIN), settings.get("password"))
        self.client.on_message = lambda client, userdata, message: self.responses.put(
            message.payload)
        self.settings = settings

    def __enter__(self):
        answers = queue.Queue()
        self.client.on_connect = lambda c, u, f, reason, p: answers.put(reason)
        self.client.on_subscribe = lambda c, u, mid, reasons, p: answers.put(reasons[0])
        try:
            self.client.connect(self.settings.get("host", "127.0.0.1"),
                                int(self.settings.get("port", 1883)))
        except OSError as exc:
            raise BrokerAdminError(f"cannot reach the broker: {exc}") from None
        self.client.loop_start()
        self._expect(answers, "the broker refused the hub's admin login")
        self.client.subscribe(f"{CONTROL}/response", qos=1)
        self._expect(answers, "the broker refused the admin its control topic")
        return self

    def __exit__(self, *exc):
        self.client.disconnect()
        self.client.loop_stop()

    def _expect(self, answers, refused):
        reason = self._wait(answers, "the broker does not answer")
        if reason.is_failure:
            self.__exit__()
            raise BrokerAdminError(f"{refused}: {reason}")

    def _wait(self, source, message):
        try:
            return source.get(timeout=self.timeout)
        except queue.Empty:
            raise BrokerAdminError(message) from None

    def run(self, commands, tolerate=("deleteClient", "deleteRole")):
        """Send ``commands`` in one batch; any error but a ``tolerate``d one raises."""
        tag = uuid.uuid4().hex
        for command in commands:
            command["correlationData"] = tag
        self.client.publish(CONTROL, json.dumps({"commands": commands}), qos=1)
        while True:
            answer = json.loads(self._wait(self.responses, "no answer from the broker's "
                                           "dynamic security plugin"))
            responses = answer.get("responses", [])
            if responses and all(r.get("correlationData") == tag for r in responses):
                break
        errors = [f"{r['command']}: {r['error']}" for r in responses
                  if r.get("error") and r["command"] not in tolerate]
        if errors:
            raise BrokerAdminError("the broker refused: " + "; ".join(errors))
        return responses
