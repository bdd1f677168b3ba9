"""Hub tests reuse the till's fixtures when a real till takes part (end to end), and run
on both of the hub's databases."""
import pytest

from hub.models import open_database
from tests.edge.conftest import store_file, till_config  # noqa: F401 (fixtures)
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
