"""A store's stock without summing its whole ledger: checkpoint + the movements after it.

On hand is the sum of a store's movements (``hub/stock.py``); a store that sold 2,000,000
lines would have every stock page sum them all. A checkpoint keeps, per store, the sum of
each SKU's movements up to and including one movement id (``StockCheckpoint.through``,
``StockCheckpointLine``). On hand is then the checkpoint's line plus the movements of
the SKU with a greater id: right at every moment, whatever the checkpoint's age, and
nothing in the ingest changes (movements are appended as before; the ledger is never
edited or deleted, so ids only grow).

A read takes the checkpoint's id, reads the lines and the movements after that id, and
looks at the id again: a refresh moves the id on in the transaction that changes the
lines, so an unchanged id means no refresh came between, and a changed one means reading
again. So a refresh committed meanwhile never has movements counted twice or missed.
(On SQLite the ledger's ids are its rowids: were the newest movement ever deleted, its id
could be given again, which is one more reason the ledger is only appended to.)

``refresh`` moves a store's checkpoint up to the newest movement by adding what moved
since it. The hub runs it for every store periodically (``python -m hub stock
checkpoint``, e.g. hourly), and the stock page runs it first when a store has more than
``MAX_PENDING`` movements after its checkpoint. On PostgreSQL ids are taken when a row is
inserted but committed in any order, so a refresh first waits for the writers of the
movement table under way (a SHARE lock taken and let go at once: new writers wait only
that long) and takes the highest id then: every movement up to it is committed, and any
later one gets a greater id. On SQLite writers take turns, so the refresh's own write
transaction is enough.
"""
import logging
import re

from peewee import PostgresqlDatabase

from shared.times import now

from .models import StockCheckpoint, StockMovement

log = logging.getLogger(__name__)

_PARAMETER = re.compile(r":([a-z_0-9]+)")
CHUNK = 500  # SKUs in one IN (...)
MAX_PENDING = 10_000  # movements after a checkpoint before a page refreshes it
LOCK_TIMEOUT_MS = 2000  # a refresh gives up rather than keep the ingest waiting longer

# The store's movements after its checkpoint.
_PENDING = "SELECT sku, quantity FROM stock_movement WHERE store = :store AND id > :through"


def database():
    return StockMovement._meta.database


def run(sql, params, fetch=True):
    """``sql`` with ``:name`` parameters, on this database's parameter style."""
    db = database()
    names = []

    def mark(match):
        names.append(match[1])
        return db.param
    text = _PARAMETER.sub(mark, sql)
    cursor = db.execute_sql(text, [params[name] for name in names])
    return cursor.fetchall() if fetch else cursor


def through(store):
    """The last movement id ``store``'s checkpoint holds (0: none yet)."""
    return run("SELECT COALESCE(MAX(through), 0) FROM stock_checkpoint WHERE store = :store",
               {"store": store})[0][0]


def _read(store, sql, params):
    """``sql`` run with ``:through`` (see ``_at_checkpoint``)."""
    return _at_checkpoint(store, lambda mark: run(sql, {**params, "store": store,
                                                         "through": mark}))


def _at_checkpoint(store, read):
    """``read(through)``, given the store's checkpoint, reads its lines and the movements
    after it; each is counted once if no refresh of the store committed meanwhile. A
    checkpoint only moves on, and a refresh moves it with the lines it changes, so one
    unchanged after ``read`` was the one it read; else it reads again, at the new one.
    (The planner given the id, not a subquery, sees how few movements come after it.)"""
    mark = through(store)
    while True:
        result = read(mark)
        now_at = through(store)
        if now_at == mark:
            return result
        mark = now_at


def _expand(sql, params, name, values):
    """``:name`` in ``sql`` stands for a list of values: one parameter each."""
    keys = [f"{name}_{n}" for n in range(len(values))]
    params.update(zip(keys, values, strict=True))
    return sql.replace(f":{name}", ", ".join(f":{key}" for key in keys) or "NULL")


def on_hand(store, skus=None):
    """sku -> quantity on hand in ``store`` (only SKUs that ever moved)."""
    params = {"store": store}
    only = ""
    if skus is not None:
        skus = list(skus)
        if not skus:
            return {}
        only = " AND sku IN (:skus)"
    sql = (f"SELECT sku, SUM(quantity) FROM (SELECT sku, quantity FROM stock_checkpoint_line "
           f"WHERE store = :store{only} UNION ALL {_PENDING}{only}) AS held GROUP BY sku")
    if skus is not None:
        sql = _expand(sql, params, "skus", skus)
    return {sku: int(quantity) for sku, quantity in _read(store, sql, params)}


def page(store, after="", limit=500):
    """[(sku, on hand)] of the first ``limit`` SKUs after ``after`` (in SKU order) that
    moved in ``store`` or have a reorder point there."""
    # The first ``limit`` lines and levels are enough: the page's SKUs are the first
    # ``limit`` of all three, so a line of one of them is among the first ``limit`` lines.
    sql = (
        "WITH pending AS MATERIALIZED ("
        f"{_PENDING})"
        " SELECT sku, SUM(quantity) FROM ("
        "SELECT * FROM (SELECT sku, quantity FROM stock_checkpoint_line WHERE store = :store "
        "AND sku > :after ORDER BY sku LIMIT :limit) AS line "
        "UNION ALL SELECT sku, quantity FROM pending WHERE sku > :after "
        "UNION ALL SELECT * FROM (SELECT sku, 0 AS quantity FROM stock_level WHERE "
        "store = :store AND sku > :after ORDER BY sku LIMIT :limit) AS level"
        ") AS held GROUP BY sku ORDER BY sku LIMIT :limit")
    return [(sku, int(quantity)) for sku, quantity in
            _read(store, sql, {"after": after, "limit": limit})]


def page_of(store, skus, limit=500):
    """The same among ``skus`` (in SKU order): those that moved in ``store`` or have a
    reorder point there, until ``limit`` of them. Each SKU's quantity comes from one
    statement, so it is right whatever refresh runs meanwhile."""
    rows = []
    for start in range(0, len(skus), CHUNK):
        part = skus[start:start + CHUNK]
        held = on_hand(store, part)
        params = {"store": store}
        levels = run(_expand("SELECT sku FROM stock_level WHERE store = :store "
                             "AND sku IN (:skus)", params, "skus", part), params)
        held.update((sku, 0) for (sku,) in levels if sku not in held)
        rows += sorted(held.items())
        if len(rows) >= limit:
            break
    return rows[:limit]


def flagged(store):
    """sku -> on hand of every SKU of ``store`` that may be negative or low: those below
    zero at the checkpoint, those moved since, and those with a reorder point. Any other
    SKU holds what the checkpoint says, zero or more. (Measured against looking their
    lines up one by one from Python: as fast on SQLite, a third faster on PostgreSQL.)"""
    sql = (
        f"WITH pending AS MATERIALIZED ({_PENDING}), "
        "candidate AS (SELECT sku FROM stock_checkpoint_line WHERE store = :store "
        "AND quantity < 0 UNION SELECT sku FROM pending "
        "UNION SELECT sku FROM stock_level WHERE store = :store) "
        "SELECT sku, SUM(quantity) FROM ("
        "SELECT line.sku, line.quantity FROM candidate JOIN stock_checkpoint_line AS line "
        "ON line.store = :store AND line.sku = candidate.sku "
        "UNION ALL SELECT sku, quantity FROM pending "
        "UNION ALL SELECT sku, 0 FROM stock_level WHERE store = :store) AS held GROUP BY sku")
    return {sku: int(quantity) for sku, quantity in _read(store, sql, {})}


def pending_count(store, up_to=MAX_PENDING + 1):
    """How many movements ``store`` has after its checkpoint (counted up to ``up_to``)."""
    return run(f"SELECT COUNT(*) FROM ({_PENDING} LIMIT :up_to) AS pending",
               {"store": store, "through": through(store), "up_to": up_to})[0][0]


def _horizon():
    """The highest movement id such that every movement up to it is committed, or None if
    the movement table's writers kept it too long."""
    db = database()
    if not isinstance(db, PostgresqlDatabase):
        return run("SELECT COALESCE(MAX(id), 0) FROM stock_movement", {})[0][0]
    if db.in_transaction():
        raise RuntimeError("a checkpoint's refresh runs outside any transaction: its lock "
                           "must be let go at once")
    try:
        with db.atomic():
            db.execute_sql(f"SET LOCAL lock_timeout = {LOCK_TIMEOUT_MS}")
            db.execute_sql("LOCK TABLE stock_movement IN SHARE MODE")
            return run("SELECT COALESCE(MAX(id), 0) FROM stock_movement", {})[0][0]
    except Exception as exc:  # noqa: BLE001 (lock_timeout): try again at the next refresh
        log.warning("stock checkpoint: the movement table stayed busy (%s)", exc)
        return None


def refresh(store):
    """Move ``store``'s checkpoint up to the newest committed movement; how many
    movements it added (None: it could not now, and nothing changed)."""
    db = database()
    postgres = isinstance(db, PostgresqlDatabase)
    if postgres:
        horizon = _horizon()
        if horizon is None:
            return None
    with db.atomic():
        if not postgres:
            horizon = _horizon()  # in the write transaction: no other writer meanwhile
        StockCheckpoint.insert(store=store, through=0).on_conflict_ignore().execute()
        query = StockCheckpoint.select().where(StockCheckpoint.store == store)
        mark = (query.for_update() if postgres else query).get()  # one refresh at a time
        if mark.through >= horizon:
            return 0
        params = {"store": store, "since": mark.through, "horizon": horizon}
        added = run("SELECT COUNT(*) FROM stock_movement WHERE store = :store "
                    "AND id > :since AND id <= :horizon", params)[0][0]
        run("INSERT INTO stock_checkpoint_line (store, sku, quantity) "
            "SELECT store, sku, SUM(quantity) FROM stock_movement WHERE store = :store "
            "AND id > :since AND id <= :horizon GROUP BY store, sku "
            "ON CONFLICT (store, sku) DO UPDATE "
            "SET quantity = stock_checkpoint_line.quantity + excluded.quantity",
            params, fetch=False)
        StockCheckpoint.update(through=horizon, refreshed_at=now()) \
            .where(StockCheckpoint.id == mark.id).execute()
    return added


def refresh_if_behind(store):
    """Refresh ``store``'s checkpoint if more than MAX_PENDING movements came after it."""
    if pending_count(store) > MAX_PENDING:
        return refresh(store)
    return 0


def stores():
    """Every store with movements (and any with a checkpoint)."""
    return sorted({row[0] for row in run(
        "SELECT DISTINCT store FROM stock_movement UNION SELECT store FROM stock_checkpoint",
        {})})


def refresh_all():
    """Every store's checkpoint brought up to date: {store: movements added}."""
    return {store: refresh(store) for store in stores()}
