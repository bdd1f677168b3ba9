"""The cash session: open with a float, paid in and out, no sale, X and Z reports."""
from flask import Blueprint, current_app, jsonify

from .helpers import body, signed_in


def desk():
    return current_app.extensions["cash_desk"]


bp = Blueprint("cash", __name__, url_prefix="/api")


@bp.get("/session")
def state():
    signed_in()
    return jsonify({"session": desk().state(), "next_number": desk().next_number()})


@bp.post("/session/open")
def open_session():
    data = body()
    return jsonify({"session": desk().open(signed_in(), float_amount=data.get("float"),
                                           counted=data.get("counted"))})


@bp.post("/session/paid-in")
def paid_in():
    data = body()
    return jsonify({"report": desk().move(signed_in(), "paid_in", data.get("amount"),
                                          data.get("reason"))})


@bp.post("/session/paid-out")
def paid_out():
    data = body()
    return jsonify({"report": desk().move(signed_in(), "paid_out", data.get("amount"),
                                          data.get("reason"))})


@bp.post("/drawer/no-sale")
def no_sale():
    data = body()
    return jsonify({"report": desk().no_sale(signed_in(), data.get("reason"),
                                             data.get("approver_pin"))})


@bp.get("/session/x-report")
def x_report():
    signed_in()
    return jsonify({"report": desk().report()})


@bp.post("/session/close")
def close():
    return jsonify({"report": desk().close(signed_in(), body().get("counted"))})


@bp.get("/session/z-reports/<int:number>")
def z_report(number):
    signed_in()
    return jsonify({"report": desk().z_report(number)})
