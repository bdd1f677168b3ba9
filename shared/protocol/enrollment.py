"""Enrollment: a till trades a one-time pairing code for its own broker login.

The till connects with the shared, low-privilege enrollment login under a random client
id, and the broker lets it write only ``tilly/v1/enroll/<its client id>/request`` and read
only ``.../reply`` (``hub/broker/acl``). The request carries the code and the password the
till chose for itself; the reply says whether the hub created the login. Both are small
JSON objects, checked here by both sides.
"""
import json
import re

from .topics import ROOT, _name

ENROLL_REQUEST = ROOT + "/enroll/{client}/request"
ENROLL_REPLY = ROOT + "/enroll/{client}/reply"
# No 0/O, 1/I/L, U/V: a code is read off one screen and typed on another.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTWXYZ23456789"
CODE_LENGTH = 8
REFUSED = "code not valid or expired"
_CLIENT = re.compile(r"[A-Za-z0-9_-]{1,64}")
_PASSWORD = re.compile(r"[!-~]{16,128}")  # printable ASCII, no spaces
MAX_BYTES = 4096


class EnrollmentError(ValueError):
    """A malformed enrollment message; the message says what is wrong."""


def normalize_code(text):
    """The code as typed, without case, spaces or dashes; EnrollmentError if it cannot be
    one (so a till need not ask the hub about a typo)."""
    code = re.sub(r"[\s-]", "", text).upper() if isinstance(text, str) else ""
    if len(code) != CODE_LENGTH or set(code) - set(CODE_ALPHABET):
        raise EnrollmentError(f"a pairing code is {CODE_LENGTH} letters and digits, "
                              "e.g. ABCD-2345")
    return code


def check_names(store, till):
    """ValueError unless ``store`` and ``till`` are names a till may enroll under."""
    _name(store, "store")  # a reserved store name too
    _name(till, "till")


def request_client(topic):
    """The client id in a request topic; EnrollmentError for any other topic."""
    parts = topic.split("/")
    if (len(parts) != 5 or "/".join(parts[:3]) != ROOT + "/enroll" or parts[4] != "request"
            or not _CLIENT.fullmatch(parts[3])):
        raise EnrollmentError(f"not an enrollment request topic: {topic!r}")
    return parts[3]


def decode_request(payload):
    """``{code, store, till, password}`` from a request, each checked."""
    try:
        if len(payload) > MAX_BYTES:
            raise EnrollmentError("request too big")
        data = json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise EnrollmentError("request is not JSON") from None
    if not isinstance(data, dict):
        raise EnrollmentError("request is not a JSON object")
    try:
        check_names(data.get("store"), data.get("till"))
    except ValueError as exc:
        raise EnrollmentError(str(exc)) from None
    if not (isinstance(data.get("password"), str) and _PASSWORD.fullmatch(data["password"])):
        raise EnrollmentError("password: 16-128 printable characters")
    return {"code": normalize_code(data.get("code")), "store": data["store"],
            "till": data["till"], "password": data["password"]}
