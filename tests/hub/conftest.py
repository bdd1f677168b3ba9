"""Hub tests reuse the till's fixtures when a real till takes part (end to end), run on
both of the hub's databases, and have the admin app on a fresh database with a user of
each role."""
import pytest

from hub import accounts
from hub.accounts import create_user
from hub.app import create_app
from hub.models import open_database
from tests.edge.conftest import (  # noqa: F401 (fixtures)
    api,
    app,
    cashier,
    signed_in,
    store_file,
    till_config,
)
from tests.hub.admin_client import PASSWORD, Admin
from tests.postgres import scratch_database


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


@pytest.fixture
def hub_app(tmp_path):
    """The admin app on a fresh SQLite file, with a user of each role (named after it)."""
    hub = create_app({"database": tmp_path / "hub.sqlite3", "instance": tmp_path / "hub",
                      "session_minutes": 30})
    for role in accounts.ROLES:
        create_user("system", role.replace("_", "-"), role.title(), role, PASSWORD)
    return hub


@pytest.fixture
def admin(hub_app):
    return Admin(hub_app.test_client())
