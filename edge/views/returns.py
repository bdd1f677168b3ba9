"""Returns: start one from a receipt (or without, approved), choose lines, refund."""
from flask import Blueprint

from .helpers import body, sale_answer, signed_in, till

bp = Blueprint("returns", __name__, url_prefix="/api")


@bp.post("/returns")
def start():
    data = body()
    return sale_answer(till().returns.start(signed_in(), code=data.get("code"),
                                      no_receipt=data.get("no_receipt") is True,
                                      pin=data.get("approver_pin")))


@bp.post("/sale/return-lines")
def add():
    data = body()
    return sale_answer(till().returns.add(signed_in(), data.get("original_position"),
                                    data.get("qty")))


@bp.post("/sale/refund")
def refund():
    return sale_answer(till().returns.refund(signed_in(), body().get("approver_pin")))
