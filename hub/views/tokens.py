"""API tokens (admins only): issue one for a user (shown once), see when each was last
used, revoke it."""
from flask import Blueprint, render_template, request
from flask_wtf import FlaskForm

from shared.whole_numbers import whole_number

from .. import api_tokens
from ..accounts import AccountError
from ..models import ApiToken, User
from . import checked_form, current_user, found, requires

bp = Blueprint("tokens", __name__)


def _page(secret=None, error=None, status=200):
    tokens = (ApiToken.select(ApiToken, User).join(User)
              .order_by(ApiToken.created_at.desc()))
    return render_template("tokens.html", tokens=tokens, status=api_tokens.status,
                           users=User.select().where(User.active).order_by(User.username),
                           secret=secret, error=error, form=FlaskForm()), status


@bp.get("/tokens")
@requires("users.manage")
def page():
    return _page()


@bp.post("/tokens")
@requires("users.manage")
def issue():
    checked_form()
    user = User.get_or_none((User.username == request.form.get("user", ""))
                            & User.active)
    days = request.form.get("days", "").strip()
    try:
        if user is None:
            raise AccountError("user: choose an active user; the token acts as them")
        lifetime = whole_number(days, api_tokens.MAX_DAYS, least=1) if days else None
        if days and lifetime is None:
            raise AccountError(f"lifetime: 1 to {api_tokens.MAX_DAYS} days, or empty for none")
        _, secret = api_tokens.issue(current_user(), user, request.form.get("name"), lifetime)
    except AccountError as exc:
        return _page(error=str(exc), status=400)
    return _page(secret=secret)


@bp.post("/tokens/<int:token_id>/revoke")
@requires("users.manage")
def revoke(token_id):
    checked_form()
    api_tokens.revoke(current_user(), found(ApiToken, ApiToken.id, token_id, "token"))
    return _page()
