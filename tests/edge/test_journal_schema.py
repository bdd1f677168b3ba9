"""The journal's schema version: set on creation, and a newer journal is refused."""
import sqlite3

import pytest

from edge.models import SCHEMA_VERSION, SchemaError, open_database


def test_new_journal_gets_the_schema_version(tmp_path):
    path = tmp_path / "journal.sqlite3"
    open_database(path)
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    open_database(path)  # opening again changes nothing


def test_journal_from_a_newer_till_is_refused(tmp_path):
    path = tmp_path / "journal.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(SchemaError, match="update the till"):
        open_database(path)
