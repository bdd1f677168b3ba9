"""Catalog push fixtures: the hub's store and catalog server, and tills on a real broker."""
import pytest

from edge.app import create_app
from edge.config import load_config
from hub.catalog_push import CatalogServer
from hub.models import open_database
from tests.edge.conftest import store, store_data, store_file  # noqa: F401 (fixtures)


@pytest.fixture
def hub_db(tmp_path):
    return open_database(tmp_path / "hub.sqlite3")


@pytest.fixture
def catalog_server(hub_db, broker):
    server = CatalogServer(hub_db, {"port": broker.port, "password": "hub-secret"})
    server.start()
    yield server
    server.stop()


class Tills:
    """In-process tills of store "test" with the hub link on; stopped at the test's end."""

    def __init__(self, tmp_path, path, broker):
        self.tmp_path, self.store_file, self.broker = tmp_path, path, broker
        self.apps = []

    def start(self, till_id="T01", hub=True, path=None):
        config = load_config(overrides={
            "till": {"id": till_id, "data_dir": str(self.tmp_path / till_id),
                     "store_file": str(path or self.store_file)},
            "hub": {"host": "127.0.0.1" if hub else "", "port": self.broker.port,
                    "password": "till-secret"}})
        app = create_app(config)
        self.apps.append(app)
        return app

    def stop(self, app):
        till = app.extensions["till"]
        if till.link is not None:
            till.link.stop()
        app.extensions["catalog_sync"].stop()
        till.devices.close()
        self.apps.remove(app)


@pytest.fixture
def tills(tmp_path, store_file, broker):  # noqa: F811 (the fixture)
    started = Tills(tmp_path, store_file, broker)
    yield started
    for app in list(started.apps):
        started.stop(app)


def new_store(**prices):
    """The test store with other unit prices (sku=price)."""
    data = store()
    for product in data["products"]:
        product["unit_price"] = prices.get(product["sku"], product["unit_price"])
    return data
