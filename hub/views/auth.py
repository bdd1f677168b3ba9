"""Signing in and out of the admin app."""
import time

from flask import Blueprint, redirect, render_template, request, session, url_for
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from ..accounts import AccountError, audit, authenticate
from . import current_user

bp = Blueprint("auth", __name__)


class SignInForm(FlaskForm):
    username = StringField("User name", validators=[DataRequired(), Length(max=32)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)])


def _safe_next(target):
    """Only a path on this site: never an open redirect to another."""
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("home")


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in():
    form = SignInForm()
    error = None
    if form.validate_on_submit():
        try:
            user = authenticate(form.username.data, form.password.data,
                                 request.remote_addr or "")
        except AccountError as exc:
            error = str(exc)
        else:
            session.clear()
            session.permanent = True
            session["user"], session["since"] = user.username, time.time()
            return redirect(_safe_next(request.args.get("next")))
    elif request.method == "POST":
        error = "; ".join(f"{getattr(form, name).label.text}: {', '.join(messages)}"
                          for name, messages in form.errors.items())
    return render_template("sign_in.html", form=form, error=error), 200 if error is None \
        else 400


@bp.post("/sign-out")
def sign_out():
    user = current_user()
    if user is not None:
        audit(user, "user.sign_out")
    session.clear()
    return redirect(url_for("auth.sign_in"))
