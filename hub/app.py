"""The hub's admin web app: a Flask app factory with one blueprint per area.

Pages are rendered on the server; htmx (vendored in ``static/vendor``, so the app works
with no internet) refreshes the parts that change, such as the fleet's table. Every form
carries a CSRF token (Flask-WTF); sessions end after ``session_minutes`` idle and at most
12 hours after sign-in.
"""
import os
import secrets
from datetime import timedelta
from pathlib import Path

from flask import Flask, abort, redirect, render_template, request, url_for
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter

from shared.money import format_money

from .accounts import ROLES, may
from .models import open_database
from .products import MAX_BYTES
from .views import current_user

ROOT = Path(__file__).resolve().parent.parent


def _secret_key(instance):
    """From the environment, or kept in the instance folder so restarts keep sessions."""
    if os.environ.get("TILLY_HUB_SECRET_KEY"):
        return os.environ["TILLY_HUB_SECRET_KEY"]
    path = Path(instance) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


class _Id(IntegerConverter):
    """A number in a path (``<int:...>``), an id: one past what the databases hold
    (2**63 - 1) matches no page, where it would fail the query."""

    def __init__(self, map, fixed_digits=0, min=None, max=2**63 - 1, signed=False):  # noqa: A002
        super().__init__(map, fixed_digits, min, max, signed)


def _error_page(code, title, text):
    return render_template("error.html", code=code, title=title, text=text), code


def create_app(settings):
    """``settings``: ``database`` (a SQLite path or database URL), optionally ``instance``
    (a folder for the secret key; default beside a SQLite file), ``session_minutes``."""
    instance = settings.get("instance") or str(ROOT / "var" / "hub")
    app = Flask(__name__, instance_path=os.path.abspath(instance))
    app.config.update(
        SECRET_KEY=settings.get("secret_key") or _secret_key(app.instance_path),
        SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=timedelta(minutes=int(settings.get("session_minutes",
                                                                      30))),
        WTF_CSRF_TIME_LIMIT=None,  # the session's own expiry bounds the token
        MAX_CONTENT_LENGTH=MAX_BYTES + 2**20,  # an upload: the CSV and the form around it
    )
    database = open_database(settings["database"])
    app.extensions["hub_db"] = database
    csrf = CSRFProtect(app)

    @app.before_request
    def connect():
        database.connect(reuse_if_open=True)

    @app.before_request
    def refuse_nul():
        """A NUL character no form field can hold: PostgreSQL refuses it even in a query,
        so a request with one (not typed, sent) is answered here, once for every page."""
        if any("\x00" in text for text in (request.path, *(
                text for texts in request.values.listvalues() for text in texts))):
            abort(400, "The request holds a NUL character (\\x00), which no field takes.")

    @app.teardown_request
    def close(exc):
        if not database.is_closed():
            database.close()

    @app.template_filter("when")
    def when(value):
        """A time for people: date and minutes, from a datetime or an ISO 8601 text."""
        if not value:
            return "–"
        text = value.isoformat() if hasattr(value, "isoformat") else str(value)
        return text[:16].replace("T", " ")

    app.add_template_filter(format_money, "money")

    @app.context_processor
    def page_globals():
        return {"user": current_user(), "may": may, "roles": ROLES}

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return _error_page(400, "The form has expired", "The form was too old or did not "
                           "come from this site: open the page again and resend it.")

    @app.errorhandler(HTTPException)
    def http_error(error):
        return _error_page(error.code, error.name, error.description)

    from .views import (
        api,
        auth,
        campaigns,
        catalog,
        customers,
        fleet,
        inventory,
        loyalty,
        promotions,
        reports,
        segments,
        stores,
        taxes,
        tenders,
        tokens,
        users,
    )

    app.url_map.converters["int"] = _Id
    app.extensions["hub_jobs"] = catalog.Jobs()
    app.register_blueprint(auth.bp)
    app.register_blueprint(catalog.bp)
    app.register_blueprint(fleet.bp)
    app.register_blueprint(users.bp)
    app.register_blueprint(stores.bp)
    app.register_blueprint(promotions.bp)
    app.register_blueprint(inventory.bp)
    app.register_blueprint(customers.bp)
    app.register_blueprint(tokens.bp)
    app.register_blueprint(reports.bp)
    app.register_blueprint(segments.bp)
    app.register_blueprint(campaigns.bp)
    app.register_blueprint(loyalty.bp)
    app.register_blueprint(taxes.bp)
    app.register_blueprint(tenders.bp)
    csrf.exempt(api.bp)  # tokens, not cookies: nothing for a forged request to ride on
    app.register_blueprint(api.bp)
    app.add_url_rule("/", "home", lambda: redirect(url_for("fleet.page")))
    return app
