"""Hub tests reuse the till's fixtures when a real till takes part (end to end), run on
both of the hub's databases, and have the admin app on a fresh database with a user of
each role."""
import contextlib
import functools

import pytest
from werkzeug.security import generate_password_hash

from hub import accounts
from hub.app import create_app
from hub.models import User, open_database
from tests.edge.conftest import (  # noqa: F401 (fixtures)
    api,
    app,
    cashier,
    signed_in,
    store_data,
    store_file,
    till_config,
)
from tests.hub.admin_client import PASSWORD, Admin
from tests.postgres import scratch_database
from tests.smtp import smtp_server


@pytest.fixture(params=["sqlite", "postgresql"])
def hub_db(request, tmp_path):
    """The hub's store, bound to the models: a SQLite file, or a PostgreSQL database."""
    if request.param == "sqlite":
        yield open_database(tmp_path / "hub.sqlite3")
        return
    with scratch_database() as url:
        database = open_database(url)
        yield database
        database.close()


@functools.cache
def password_hash():
    return generate_password_hash(PASSWORD)


@pytest.fixture(params=["sqlite", "postgresql"])
def hub_app(request, tmp_path):
    """The admin app on a fresh database of each kind, with a user of each role (named
    after it)."""
    with contextlib.ExitStack() as stack:
        url = tmp_path / "hub.sqlite3" if request.param == "sqlite" else \
            stack.enter_context(scratch_database())
        hub = create_app({"database": url, "instance": tmp_path / "hub",
                          "session_minutes": 30})
        for role in accounts.ROLES:  # one hash for all: scrypt takes 0.15 s a time
            User.create(username=role.replace("_", "-"), name=role.title(), role=role,
                        password_hash=password_hash())
        yield hub
        hub.extensions["hub_db"].close()


@pytest.fixture
def admin(hub_app):
    return Admin(hub_app.test_client())


@pytest.fixture
def smtp():
    """A real SMTP server (aiosmtpd): its port and the mailbox of what it was sent."""
    with smtp_server() as server:
        yield server
