"""An erased customer taken out of the catalog versions the hub keeps, on SQLite and
PostgreSQL: a new version for each store that lists them, every kept snapshot and delta
blanked but for the id and member flag, the digests of what changed renewed."""
import json

from hub import catalog_versions, customers, erasure
from hub.catalog_versions import CatalogVersion, catch_up, snapshot_of
from hub.models import CatalogErasure, Customer
from hub.stores import import_store_file, publish
from tests.edge.conftest import store
from tests.hub.test_customers import new


def personal(text):
    """What of Joanna's the text holds."""
    return [word for word in ("Joanna", "LC2001", "LC2002", "1234567") if word in text]


def test_the_kept_versions_forget_an_erased_customer(hub_db):
    data = store()
    data["store"]["id"] = "north"
    test = import_store_file(hub_db, store(), "ada")
    north = import_store_file(hub_db, data, "ada")
    publish(hub_db, test, "ada")  # 1: C1 (from the store file)
    publish(hub_db, north, "ada")  # north's 1, the same
    jo = new(name="Joanna Smith", card="lc 2001")
    publish(hub_db, test, "ada")  # 2: C1 and Jo, upserted by its delta
    other = new(name="Joanna S", card="lc 2002", email="")
    customers.merge("ada", jo, other)
    publish(hub_db, test, "ada")  # 3: Jo, and the merged card under its old id
    before = {(row.store, row.version): row.digest for row in CatalogVersion.select()}
    assert erasure.forget_erased(hub_db) == 0  # nothing erased yet

    customers.erase("ada", Customer.get(Customer.code == jo.code))
    assert {row.code for row in CatalogErasure.select()} == {jo.code, other.code}
    assert personal(catalog_versions.latest("test").snapshot)  # until the job runs
    assert erasure.forget_erased(hub_db) == 2  # test's 2 and 3: north's 1 never had Jo
    latest = catalog_versions.latest("test")
    assert latest.version == 4  # published: the tills drop them
    assert json.loads(latest.delta)["remove"]["customers"] == sorted([jo.code, other.code])
    assert catalog_versions.latest("north").version == 1  # had no one to drop
    for row in CatalogVersion.select():
        assert personal(row.snapshot + (row.delta or "")) == []
        assert "LC1001" in row.snapshot  # C1, not erased, is left be
    # The sale check still reads the member flag there.
    kept = {entry["id"]: entry for entry in snapshot_of("test", "2")["customers"]}
    assert kept[jo.code] == {"id": jo.code, "name": "", "card": "", "member": True}
    changed = {key for key, digest in before.items()
               if CatalogVersion.get(store=key[0], version=key[1]).digest != digest}
    assert changed == {("test", 2), ("test", 3)}
    # A till still on version 2 holds its old digest: it is sent the latest whole.
    assert catch_up("test", 2, before["test", 2])[0] == "catalog.snapshot"
    assert catch_up("test", 1, before["test", 1])[:2] == ("catalog.delta", 1)
    assert CatalogErasure.select().where(CatalogErasure.done_at.is_null()).count() == 0
    assert erasure.forget_erased(hub_db) == 0  # done once
