"""What every blueprint needs: the till, the signed-in staff member, the JSON body."""
from flask import current_app, jsonify, request, session

from ..errors import TillError


def till():
    return current_app.extensions["till"]


def signed_in():
    """The staff member signed in at the till, if it is this browser that signed them in."""
    operator = till().operator
    if operator is None or session.get("staff") != operator.id:
        raise TillError("please sign in", 401)
    return operator


def body():
    """The request's JSON object; a clear 400 for anything else."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise TillError("the request body must be a JSON object", 400)
    return data


def sale_answer(view):
    """A sale answer with its revision, so a screen can drop answers older than its own."""
    return jsonify({"sale": view, "revision": view["revision"] if view else till().revision})
