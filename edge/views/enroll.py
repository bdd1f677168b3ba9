"""Enrolling the till with the hub from its screen: a manager types the pairing code."""
from flask import Blueprint, current_app, jsonify

from ..enrollment import enroll, start_links, stop_links
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
    # Both links go on with the new login: new connections, the outbox as it was.
    sync = current_app.extensions["catalog_sync"]
    stop_links(till(), sync)
    start_links(till(), sync, config)
    return jsonify({"enrolled": username})
