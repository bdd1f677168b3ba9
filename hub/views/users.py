"""Users of the admin app and the audit log: admins only."""
from flask import Blueprint, redirect, render_template, url_for
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectChoice, SelectField, StringField

from ..accounts import ROLES, AccountError, create_user
from ..models import AuditEntry, User
from . import current_user, requires

bp = Blueprint("users", __name__)


class UserForm(FlaskForm):
    username = StringField("User name")
    name = StringField("Name")
    role = SelectField("Role", choices=[SelectChoice(value, label)
                                        for value, label in ROLES.items()])
    password = PasswordField("Password")


@bp.route("/users", methods=["GET", "POST"])
@requires("users.manage")
def page():
    form = UserForm()
    error = None
    if form.validate_on_submit():
        try:
            create_user(current_user(), form.username.data, form.name.data, form.role.data,
                        form.password.data)
        except AccountError as exc:
            error = str(exc)
        else:
            return redirect(url_for("users.page"))
    elif form.errors:
        error = "; ".join(message for messages in form.errors.values() for message in messages)
    users = User.select().order_by(User.username)
    return render_template("users.html", form=form, users=users, roles=ROLES,
                           error=error), 200 if error is None else 400


@bp.get("/audit")
@requires("audit.view")
def audit_log():
    entries = AuditEntry.select().order_by(AuditEntry.at.desc(), AuditEntry.id.desc()) \
        .limit(500)
    return render_template("audit.html", entries=entries)
