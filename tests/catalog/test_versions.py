"""The hub's catalog versions: numbered per store, refused unless a till could load them,
and what a till is sent to catch up; the delta and the parts they travel in."""
import json
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hub.catalog_versions import CatalogRefused, CatalogVersion, catch_up, publish
from shared import catalog_delta
from shared.protocol import ProtocolError, decode
from shared.protocol.catalog import (
    CHUNK_BYTES,
    Assembler,
    delta_topic,
    messages,
    parse_till_topic,
    reply_topic,
)
from tests.broker import ROOT
from tests.protocol.test_messages import json_values

from .conftest import new_store, store

SAMPLE = ROOT / "edge" / "data" / "sample-store.json"


def test_versions_are_numbered_per_store_and_an_unchanged_snapshot_makes_none(hub_db):
    assert publish(hub_db, "test", store()) == 1
    assert publish(hub_db, "test", store()) is None
    assert publish(hub_db, "test", new_store(MILK=120)) == 2
    sample = json.loads(SAMPLE.read_text())
    assert publish(hub_db, "store-1", sample) == 1
    second = CatalogVersion.get(store="test", version=2)
    assert json.loads(second.delta) == {"upsert": {"products": {"MILK": {
        **store()["products"][0], "unit_price": 120}}}}


def broken(change):
    data = store()
    change(data)
    return data


@pytest.mark.parametrize("snapshot, reason", [
    (broken(lambda d: d["products"][0].update(tax_class="luxury")), "unknown tax_class"),
    (broken(lambda d: d["products"][1].update(unit_price=1.5)), "unit_price must be"),
    (broken(lambda d: d["products"].append(dict(d["products"][0]))), "duplicate sku"),
    (broken(lambda d: d["customers"].append(dict(d["customers"][0]))), "duplicate id C1"),
    (broken(lambda d: d["staff"][0].update(role="owner")), "role must be"),
    (broken(lambda d: d["store"].update(id="elsewhere")), "for store 'elsewhere'"),
    (broken(lambda d: d.pop("pricing")), "pricing: tax_mode: is required"),
    ([], "snapshot: expected an object"),
    (broken(lambda d: d.update(format=2)), "\"format\": 1"),
])
def test_a_snapshot_a_till_could_not_load_is_refused_with_the_reason(hub_db, snapshot,
                                                                     reason):
    publish(hub_db, "test", store())
    with pytest.raises(CatalogRefused, match=reason):
        publish(hub_db, "test", snapshot)
    assert CatalogVersion.select().count() == 1


def test_catch_up_is_one_delta_or_the_snapshot(hub_db):
    assert catch_up("test", None) is None  # nothing published yet
    for price in (100, 110, 120):
        publish(hub_db, "test", new_store(MILK=price))
    first, last = CatalogVersion.get(version=1), CatalogVersion.get(version=3)
    kind, base, version, text = catch_up("test", 1, first.digest)
    assert (kind, base, version.version) == ("catalog.delta", 1, 3)
    assert catalog_delta.apply(json.loads(first.snapshot), json.loads(text)) == \
        json.loads(last.snapshot)
    assert catch_up("test", 3, last.digest) is None  # up to date
    for have, digest, snapshot in ((None, None, False), (1, "another history", False),
                                   (1, first.digest, True), (9, "ahead", False)):
        kind, base, version, text = catch_up("test", have, digest, snapshot)
        assert (kind, base, text) == ("catalog.snapshot", None, last.snapshot)


def customers(prefix):
    return [{"id": f"{prefix}{n}", "name": "A customer", "card": f"LC{prefix}{n}"}
            for n in range(300)]


def test_too_far_behind_gets_the_snapshot(hub_db):
    """Every customer replaced: the delta (each one upserted and removed) is the bigger."""
    publish(hub_db, "test", broken(lambda d: d.update(customers=customers("A"))))
    publish(hub_db, "test", broken(lambda d: d.update(customers=customers("B"))))
    first = CatalogVersion.get(version=1)
    assert catch_up("test", 1, first.digest)[0] == "catalog.snapshot"


def test_a_delta_applies_exactly_and_a_wrong_one_is_refused():
    old = catalog_delta.normal(store())
    new = catalog_delta.normal(new_store(WINE=899))
    new["products"].reverse()
    del new["customers"][0]
    new["pricing"]["promotions"].append({"id": "P3", "type": "percent_off", "percent": "5",
                                         "tags": ["dairy"]})
    new["quick_cash"] = [1000]
    delta = catalog_delta.diff(old, new)
    assert set(delta) == {"upsert", "remove", "order"}
    assert catalog_delta.apply(old, delta) == new
    assert catalog_delta.diff(old, old) == {}
    for wrong, reason in (({"remove": {"products": ["NOPE"]}}, "not in the base"),
                          ({"upsert": {"products": {"X": {"sku": "Y"}}}}, "its sku is not"),
                          ({"order": {"products": ["MILK"]}}, "not an order"),
                          ({"upsert": {"shelves": {}}}, "unknown section"),
                          ({"replace": {}}, "unknown part"), ([], "expected an object")):
        with pytest.raises(catalog_delta.DeltaError, match=reason):
            catalog_delta.apply(old, wrong)


def test_large_texts_go_in_parts_that_fit_and_come_back_whole():
    # Quotes and control characters grow when written as a JSON string: parts still fit.
    text = json.dumps({"names": ["\"quoted\"\x01 naïve €" * 20_000]})
    parts = messages("catalog.snapshot", "test", "T01", 4, "d", text, "2026-12-03T08:00:00")
    assert len(parts) > 2 and all(len(part) <= 256 * 1024 for part in parts)
    assert all(len(json.dumps(decode(part).body["chunk"])) <= CHUNK_BYTES * 2 for part in parts)
    assembler = Assembler()
    envelopes = [decode(part) for part in parts]
    shuffled = envelopes[1:] + envelopes[:1]
    assert [assembler.add(envelope) for envelope in shuffled[:-1]] == [None] * (len(parts) - 1)
    assert assembler.add(envelopes[1]) is None  # a part again changes nothing
    assert assembler.add(shuffled[-1]) == text
    assert assembler.pending == {}


@pytest.mark.parametrize("body, reason", [
    ({"version": 2, "base": 2, "digest": "d", "part": 1, "parts": 1, "chunk": ""}, "base"),
    ({"version": 2, "base": 1, "digest": "d", "part": 0, "parts": 1, "chunk": ""}, "part"),
    ({"version": 2, "digest": "d", "part": 1, "parts": 1, "chunk": ""}, "body.base"),
])
def test_catalog_messages_are_checked(body, reason):
    data = json.dumps({"v": 1, "kind": "catalog.delta", "store": "test", "till": "*",
                       "seq": 2, "id": "x", "at": "-", "body": body}).encode()
    with pytest.raises(ProtocolError, match=reason):
        decode(data)


def test_catalog_topics():
    assert delta_topic("store-1") == "tilly/v1/hub/store-1/catalog/delta"
    assert reply_topic("store-1", "T01") == "tilly/v1/hub/store-1/T01/catalog"
    assert parse_till_topic("tilly/v1/store-1/T01/catalog") == ("store-1", "T01")
    for bad in ("tilly/v1/store-1/T01/sale", "tilly/v1/hub/T01/catalog", "tilly/v1/s/+/catalog"):
        with pytest.raises(ValueError):
            parse_till_topic(bad)
    with pytest.raises(ValueError, match="reserved"):
        delta_topic("hub")


def hub_command(*args):
    return subprocess.run([sys.executable, "-m", "hub", "catalog", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)


def test_the_publish_command_on_the_sample_store(tmp_path):
    db = tmp_path / "hub.sqlite3"
    first = hub_command("publish", "--db", db, "--store", "store-1", "--file", SAMPLE)
    assert (first.returncode, first.stdout) == (0, "store-1: version 1\n")
    again = hub_command("publish", "--db", db, "--store", "store-1", "--file", SAMPLE)
    assert again.stdout == "store-1: unchanged, still version 1\n"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(broken(lambda d: d["products"][0].update(tax_class="x"))))
    refused = hub_command("publish", "--db", db, "--store", "test", "--file", bad)
    assert refused.returncode == 1 and "refused: store file: product 1: unknown" in \
        refused.stderr


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["catalog.delta", "catalog.snapshot", "catalog.request",
                        "catalog.applied"]),
       st.dictionaries(st.sampled_from(["version", "base", "digest", "part", "parts", "chunk",
                                        "have", "snapshot"]), json_values))
def test_fuzz_catalog_bodies_only_protocol_errors(kind, body):
    data = json.dumps({"v": 1, "kind": kind, "store": "test", "till": "*", "seq": 1,
                       "id": "x", "at": "-", "body": body}).encode()
    try:
        decode(data)
    except ProtocolError:
        pass


section_maps = st.dictionaries(st.sampled_from(catalog_delta.SECTIONS + ("x",)),
                               json_values | st.dictionaries(st.sampled_from(
                                   ["MILK", "WINE", "C1", "P1", "zero", "name"]), json_values),
                               max_size=3)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(catalog_delta.DELTA_PARTS + ("x",)),
                       section_maps | json_values, max_size=3))
def test_fuzz_deltas_only_delta_errors(delta):
    old = catalog_delta.normal(store())
    try:
        catalog_delta.apply(old, delta)
    except catalog_delta.DeltaError:
        pass
    assert old == catalog_delta.normal(store())  # never changed in place
