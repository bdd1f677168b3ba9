"""The journal's schema version: set on creation, and a newer journal is refused."""
import sqlite3
import threading

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


def test_a_version_1_journal_gains_the_card_attempts_table(tmp_path):
    path = tmp_path / "journal.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE counter (name VARCHAR(255) PRIMARY KEY, value INTEGER)")
        db.execute("CREATE TABLE outbox (id INTEGER PRIMARY KEY, kind VARCHAR(255), "
                   "payload TEXT, created_at DATETIME, sent_at DATETIME)")
        db.execute("CREATE TABLE payment (id INTEGER PRIMARY KEY, type VARCHAR(255))")
        db.execute("CREATE TABLE sale (uuid VARCHAR(255) PRIMARY KEY, coupons TEXT)")
        db.execute("PRAGMA user_version = 1")
    open_database(path)
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 5
        assert db.execute("SELECT COUNT(*) FROM card_attempt").fetchone() == (0,)


def test_the_till_journal_is_wal_and_synchronous_full(app):
    """synchronous is per connection, and peewee opens one per thread (waitress serves on
    several): every one of them must fsync each commit."""
    database = app.extensions["till"].journal.db

    def pragmas():
        return (database.execute_sql("PRAGMA journal_mode").fetchone()[0],
                database.execute_sql("PRAGMA synchronous").fetchone()[0])

    seen = [pragmas()]
    other = threading.Thread(target=lambda: seen.append(pragmas()))
    other.start()
    other.join()
    assert seen == [("wal", 2), ("wal", 2)]  # 2 is FULL


def test_a_version_1_journal_is_migrated_and_its_sent_rows_count_as_confirmed(tmp_path):
    path = tmp_path / "journal.sqlite3"
    open_database(path)
    with sqlite3.connect(path) as db:  # version 1: the outbox had no confirmed_at yet
        db.execute("DROP INDEX outbox_confirmed_at_id")
        db.execute("ALTER TABLE outbox DROP COLUMN confirmed_at")
        db.execute("DROP TABLE card_attempt")
        db.execute("ALTER TABLE payment DROP COLUMN account")
        db.execute("DROP TABLE tender_attempt")
        db.execute("DROP TABLE sale_coupon")
        db.execute("PRAGMA user_version = 1")
        db.executemany("INSERT INTO outbox (kind, payload, created_at, sent_at) "
                       "VALUES ('sale.completed', '{}', '2026-11-25 10:00:00', ?)",
                       [("2026-11-25 10:00:01",), (None,)])
    open_database(path)
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 5
        assert db.execute("SELECT sent_at, confirmed_at FROM outbox ORDER BY id").fetchall() \
            == [("2026-11-25 10:00:01", "2026-11-25 10:00:01"), (None, None)]
        assert "outbox_confirmed_at_id" in {name for (name,) in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index'")}


def test_a_version_3_journal_gains_the_payments_account_and_the_tender_attempts(tmp_path):
    path = tmp_path / "journal.sqlite3"
    open_database(path)
    with sqlite3.connect(path) as db:
        db.execute("ALTER TABLE payment DROP COLUMN account")
        db.execute("DROP TABLE tender_attempt")
        db.execute("DROP TABLE sale_coupon")
        db.execute("PRAGMA user_version = 3")
    open_database(path)
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 5
        assert db.execute("SELECT COUNT(account) FROM payment").fetchone() == (0,)
        assert db.execute("SELECT COUNT(*) FROM tender_attempt").fetchone() == (0,)


def test_a_version_4_journal_gains_the_coupon_index_filled_from_its_sales(tmp_path):
    path = tmp_path / "journal.sqlite3"
    open_database(path)
    with sqlite3.connect(path) as db:
        db.execute("DROP TABLE sale_coupon")
        db.execute("PRAGMA user_version = 4")
        db.executemany("INSERT INTO sale (uuid, seq, till, kind, state, cashier, coupons, "
                       "opened_at, rounding, change, receipt_pending) VALUES "
                       "(?, ?, 'T01', 'sale', 'completed', 'S01', ?, '2026-11-25', 0, 0, 0)",
                       [("a", 1, '["WELCOME10", "SPRING-0G1M-Z4QH-7KXD"]'), ("b", 2, "[]")])
    open_database(path)
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 5
        assert db.execute("SELECT sale_id, code FROM sale_coupon ORDER BY code").fetchall() \
            == [("a", "SPRING-0G1M-Z4QH-7KXD"), ("a", "WELCOME10")]
