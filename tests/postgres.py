"""A real PostgreSQL database for a test or a benchmark: made under a unique name on the
local server (`make system-packages` sees that one runs), dropped afterwards.

The server is TILLY_TEST_POSTGRES, by default the local socket as the user running the
tests (peer authentication; the Makefile creates that role)."""
import contextlib
import os
import uuid

import peewee
import psycopg

SERVER = os.environ.get("TILLY_TEST_POSTGRES", "postgresql:///postgres")


@contextlib.contextmanager
def scratch_database(prefix="tilly_test"):
    """Yields the URL of a new, empty database; drops it (and its connections) after."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(SERVER, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{SERVER.rsplit('/', 1)[0]}/{name}"
    finally:
        with psycopg.connect(SERVER, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def url_of(database):
    """The URL a hub command opens ``database`` (a peewee database of a test) with."""
    if isinstance(database, peewee.PostgresqlDatabase):
        return f"{SERVER.rsplit('/', 1)[0]}/{database.database}"
    return str(database.database)
