"""Simulation controls for ``make demo`` and the tests: the hardware a developer lacks.

Scans go through the simulated scanner (key events, decoded like a real one); the drawer,
printer and card terminal are the simulated backends' own controls.
"""
from flask import Blueprint, current_app, jsonify

from drivers.payment.simulated import OUTCOMES as CARD_OUTCOMES

from ..errors import TillError
from .helpers import body, till

bp = Blueprint("simulation", __name__, url_prefix="/api/sim")

def _device(name):
    if current_app.config["TILL"][name].get("backend") != "simulated":
        raise TillError(f"the {name} is not simulated on this till", 409)
    return getattr(till().devices, name)


@bp.post("/scan")
def scan():
    code = body().get("code")
    if not isinstance(code, str):
        raise TillError("code must be a string", 422)
    try:
        _device("scanner").scan(code)
    except ValueError as exc:  # text the scanner's keyboard layout cannot type
        raise TillError(f"cannot scan that: {exc}", 422) from None
    # A real scanner gets no answer: the screens learn of the scan from the change feed.
    return jsonify({"notice": till().notice})


@bp.post("/drawer")
def drawer():
    state = body().get("state")
    device = _device("drawer")
    if state == "closed":
        device.simulate_close()
    elif state == "open":
        device.simulate_open()
    else:
        raise TillError("state must be open or closed", 422)
    return jsonify({"open": device.is_open})


@bp.post("/printer")
def printer():
    data = body()
    device = _device("printer")
    if "offline" in data:
        device.set_offline(bool(data["offline"]))
    if "paper_out" in data:
        device.set_paper_out(bool(data["paper_out"]))
    return jsonify({"status": str(device.status())})


@bp.post("/card")
def card():
    outcome = body().get("outcome")
    if outcome not in CARD_OUTCOMES:
        raise TillError(f"outcome must be one of {', '.join(CARD_OUTCOMES)}", 422)
    _device("payment").next_outcome(outcome)
    return jsonify({"next": outcome})
