"""The hub's enrollment service and revocation: tills' broker logins, made and removed at
runtime through the dynamic security plugin (``hub.dynsec``), recorded in the registry.

The service reads ``tilly/v1/enroll/+/request`` as the hub's admin login. For a request
whose pairing code checks out it creates the till's login and role, records the till, and
answers ``{"ok": true, "username": "<store>/<till>"}``; anything else gets ``{"ok": false,
"error": ...}``, the same "code not valid or expired" whatever was wrong with the code.
"""
import json
import logging
import queue
import threading

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from shared.protocol.enrollment import (
    ENROLL_REPLY,
    ENROLL_REQUEST,
    REFUSED,
    EnrollmentError,
    check_names,
    decode_request,
    request_client,
)

from . import registry
from .dynsec import ADMIN, BrokerAdminError, Control, add_till_commands, remove_till_commands

log = logging.getLogger(__name__)


def enroll(database, control, payload):
    """The reply to one request (a dict); creates the till's login if the code is right."""
    try:
        request = decode_request(payload)
    except EnrollmentError as exc:
        return {"ok": False, "error": str(exc)}
    store, till = request["store"], request["till"]
    if not registry.check_code(database, store, till, request["code"]):
        log.warning("enrollment of %s/%s refused: code not valid, expired or locked",
                    store, till)
        return {"ok": False, "error": REFUSED}
    try:
        control.run(add_till_commands(store, till, request["password"]))
    except BrokerAdminError as exc:
        log.error("enrollment of %s/%s: %s", store, till, exc)
        return {"ok": False, "error": "the hub could not create the till's login; try again"}
    registry.record_enrollment(database, store, till)
    log.info("till %s/%s enrolled", store, till)
    return {"ok": True, "username": f"{store}/{till}"}


def revoke(database, settings, store, till):
    """Removes the till's login (a connected till is disconnected), then marks it revoked;
    False if the registry had it as not enrolled."""
    check_names(store, till)
    with Control(settings) as control:
        control.run(remove_till_commands(store, till))
    return registry.record_revocation(database, store, till)


class EnrollmentService:
    """Answers enrollment requests, one at a time, on its own thread: a code check
    (scrypt) and a round trip to the plugin must not hold up paho's network thread."""

    def __init__(self, database, settings):
        self.database = database
        self.settings = settings
        self.requests = queue.Queue()
        self.stopping = threading.Event()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="hub-enrollment",
                                  protocol=mqtt.MQTTv5)
        self.client.username_pw_set(settings.get("username", ADMIN), settings.get("password"))
        self.client.reconnect_delay_set(1, 30)
        self.client.on_connect = self._on_connect
        self.client.on_message = lambda client, userdata, message: self.requests.put(message)
        self.subscribed = threading.Event()
        self.client.on_subscribe = lambda *args: self.subscribed.set()
        self.thread = threading.Thread(target=self._work, name="enrollment", daemon=True)

    def start(self):
        self.client.connect_async(self.settings.get("host", "127.0.0.1"),
                                  int(self.settings.get("port", 1883)), keepalive=30)
        self.client.loop_start()
        self.thread.start()

    def stop(self):
        self.stopping.set()
        self.thread.join(timeout=15)
        self.client.disconnect()
        self.client.loop_stop()

    def _on_connect(self, client, userdata, flags, reason_code, properties):
        if reason_code.is_failure:
            log.warning("broker refused the enrollment service: %s", reason_code)
            return
        client.subscribe(ENROLL_REQUEST.format(client="+"), qos=1)

    def _work(self):
        while not self.stopping.is_set():
            try:
                message = self.requests.get(timeout=0.2)
            except queue.Empty:
                continue
            try:
                reply_to = ENROLL_REPLY.format(client=request_client(message.topic))
            except EnrollmentError:
                continue
            try:
                with Control(self.settings) as control:
                    answer = enroll(self.database, control, message.payload)
            except BrokerAdminError as exc:
                log.error("enrollment: %s", exc)
                answer = {"ok": False, "error": "the hub could not reach its broker; try again"}
            except Exception:  # a bad request or a database fault: the service goes on
                log.exception("enrollment request on %s", message.topic)
                answer = {"ok": False, "error": "the hub could not enroll the till; try again"}
            self.client.publish(reply_to, json.dumps(answer), qos=1)
