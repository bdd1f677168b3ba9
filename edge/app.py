"""The till's Flask application: the kiosk pages and the JSON API they run on."""
import secrets
from pathlib import Path

from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException

from .cash_desk import CashDesk
from .catalog_sync import CatalogSync
from .config import load_config
from .devices import create_devices
from .enrollment import start_links
from .errors import TillError
from .models import open_database
from .till import Till


def _secret_key(data_dir):
    """Kept in the data dir, so a restart keeps the cashier signed in."""
    path = Path(data_dir) / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def create_app(config=None, devices=None):
    """A till from its configuration (``edge.config.load_config``); tests pass devices."""
    config = config or load_config()
    data_dir = Path(config["till"]["data_dir"])
    data_dir.mkdir(parents=True, exist_ok=True)
    app = Flask(__name__)
    app.config["TILL"] = config
    app.config["SECRET_KEY"] = _secret_key(data_dir)
    app.config["SESSION_COOKIE_SAMESITE"] = "Strict"
    database = open_database(data_dir / "journal.sqlite3")
    sync = app.extensions["catalog_sync"] = CatalogSync(data_dir)
    catalog = sync.load(config["till"]["store_file"])
    devices = devices or create_devices(config)
    till = app.extensions["till"] = Till(config["till"]["id"], catalog, database, devices)
    app.extensions["cash_desk"] = CashDesk(till)
    if config["hub"].get("host"):
        start_links(till, sync, config)
    devices.scanner.start(till.device_scan, till.device_reject)

    from .views import auth, cash, enroll, kiosk, returns, sale

    app.register_blueprint(auth.bp)
    app.register_blueprint(cash.bp)
    app.register_blueprint(enroll.bp)
    app.register_blueprint(kiosk.bp)
    app.register_blueprint(returns.bp)
    app.register_blueprint(sale.bp)
    if config["till"].get("simulation"):
        from .views import simulation

        app.register_blueprint(simulation.bp)

    @app.errorhandler(TillError)
    def till_error(error):
        return jsonify({"error": error.message, **error.details}), error.status

    @app.errorhandler(HTTPException)
    def http_error(error):
        if request.path.startswith("/api/"):
            return jsonify({"error": error.description}), error.code
        return error

    @app.before_request
    def json_only():
        """Mutating API calls must be JSON: a browser cannot send that cross-site without
        a preflight this app never grants, which keeps other pages from driving the till."""
        if (request.path.startswith("/api/") and request.method not in ("GET", "HEAD")
                and not request.is_json):
            return jsonify({"error": "send JSON (Content-Type: application/json)"}), 415
        return None

    return app
