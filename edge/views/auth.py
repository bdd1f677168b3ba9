"""Signing in and out with a PIN."""
from flask import Blueprint, jsonify, session

from .helpers import body, signed_in, till

bp = Blueprint("auth", __name__, url_prefix="/api/auth")


def _staff_json(staff):
    return {"id": staff.id, "name": staff.name, "role": staff.role}


@bp.post("/sign-in")
def sign_in():
    staff = till().sign_in(body().get("pin"))
    session.clear()
    session["staff"] = staff.id
    return jsonify(_staff_json(staff))


@bp.post("/sign-out")
def sign_out():
    staff = signed_in()
    session.clear()
    till().sign_out(staff)
    return jsonify({"signed_out": staff.id})


@bp.get("/me")
def me():
    return jsonify(_staff_json(signed_in()))
