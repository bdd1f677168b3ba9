"""Enrolling the till with the hub from its screen: a manager types the pairing code."""
from flask import Blueprint, current_app, jsonify

from ..enrollment import enroll, start_link
from ..errors import TillError
from .helpers import body, signed_in, till

bp = Blueprint("enroll", __name__, url_prefix="/api")


@bp.post("/enroll")
def enroll_till():
    staff = signed_in()
    if staff.role != "manager":
        raise TillError("only a manager may enroll the till with the hub", 403)
    config = current_app.config["TILL"]
    username = enroll(config, till().catalog.store["id"], body().get("code"))
    till().journal.audit("till.enrolled", staff.id, None, None, {"username": username})
    # The link goes on with the new login: a new connection, the outbox as it was.
    if till().link is not None:
        till().link.stop()
    till().link = start_link(till(), config)
    return jsonify({"enrolled": username})
