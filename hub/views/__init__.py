"""The admin app's blueprints, one per area; ``signed_in`` guards their pages."""
import csv
import functools
import io
from datetime import UTC, datetime, timedelta

from flask import Response, abort, g, redirect, request, session, url_for
from flask_wtf import FlaskForm

from ..accounts import may
from ..models import User

MAX_SESSION = timedelta(hours=12)


def current_user():
    """The signed-in user, or None (unknown, deactivated, or past the session's age)."""
    if "user" not in g:
        g.user = None
        name, since = session.get("user"), session.get("since")
        if name and since and datetime.now(UTC) - datetime.fromtimestamp(since, UTC) \
                < MAX_SESSION:
            g.user = User.get_or_none((User.username == name) & User.active)
    return g.user


def requires(permission):
    """The page needs a signed-in user whose role has ``permission``."""
    def wrap(view):
        @functools.wraps(view)
        def guarded(*args, **kwargs):
            user = current_user()
            if user is None:
                session.clear()
                return redirect(url_for("auth.sign_in", next=request.full_path))
            if not may(user, permission):
                abort(403, f"Your role may not do this ({permission}).")
            return view(*args, **kwargs)
        return guarded
    return wrap


def checked_form():
    """Refuse a posted form without this site's CSRF token."""
    if not FlaskForm().validate_on_submit():
        abort(400, "The form did not come from this site.")


def found(model, field, value, what):
    """The ``model`` row whose ``field`` is ``value``, or a 404 that says what is missing."""
    row = model.get_or_none(field == value)
    if row is None:
        abort(404, f"No {what} {value}.")
    return row


def csv_download(filename, header, rows):
    """A CSV file to download: ``header`` then ``rows``."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename={filename}"})
