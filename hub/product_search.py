"""Finding products by words of their name in a catalog of 300,000, without reading it all.

A name matches when each word of the query appears in it (case aside), anywhere: "hoc"
finds "Chocolate". A plain ``LIKE '%word%'`` reads every name; a trigram index answers the
same question from the three-letter pieces of the word, and both databases have one:

- PostgreSQL: a GIN index of ``pg_trgm`` on ``product.name``; ``ILIKE '%word%'`` uses it as
  it is (the extension is trusted: the database's owner may create it);
- SQLite: an FTS5 table with the ``trigram`` tokenizer over ``product.name`` (its content
  is the product table's; triggers keep it in step in the same transaction, so it is
  never stale), whose ``LIKE`` uses the index.

Either is kept by the database itself, in the transaction that changes a product. A word
shorter than three letters has no trigram: it is still answered, by reading the names. On
a server without ``pg_trgm`` (or a SQLite without FTS5's trigram tokenizer) the same
queries run without the index, slower, and the hub says so in its log once.

The alternative considered was a table of each name's words, kept by the hub's own code
(``word >= 'choc' AND word < 'chod'``): it finds words by their start only ("hoc" would
not find "Chocolate"), and its million rows would be written by Python on each import.
"""
import contextlib
import functools
import logging
import operator

from peewee import SQL, DatabaseError, PostgresqlDatabase

log = logging.getLogger(__name__)

TABLE = "product_search"  # SQLite's FTS5 index of product names

_SQLITE = (
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {TABLE} USING fts5(name, content='product', "
    "content_rowid='id', tokenize='trigram')",
    f"CREATE TRIGGER IF NOT EXISTS {TABLE}_insert AFTER INSERT ON product BEGIN "
    f"INSERT INTO {TABLE} (rowid, name) VALUES (new.id, new.name); END",
    f"CREATE TRIGGER IF NOT EXISTS {TABLE}_delete AFTER DELETE ON product BEGIN "
    f"INSERT INTO {TABLE} ({TABLE}, rowid, name) VALUES ('delete', old.id, old.name); END",
    f"CREATE TRIGGER IF NOT EXISTS {TABLE}_update AFTER UPDATE OF name ON product "
    f"WHEN old.name IS NOT new.name BEGIN "
    f"INSERT INTO {TABLE} ({TABLE}, rowid, name) VALUES ('delete', old.id, old.name); "
    f"INSERT INTO {TABLE} (rowid, name) VALUES (new.id, new.name); END",
)


def install(database):
    """Make the index if missing (in the schema's upgrade, under its lock); note on
    ``database`` whether there is one."""
    try:
        with database.atomic():  # a savepoint: a refusal leaves the upgrade's work be
            if isinstance(database, PostgresqlDatabase):
                database.execute_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
                database.execute_sql("CREATE INDEX IF NOT EXISTS product_name_trigrams ON "
                                     "product USING gin (name gin_trgm_ops)")
            else:
                new = TABLE not in database.get_tables()
                for statement in _SQLITE:
                    database.execute_sql(statement)
                if new:  # a catalog from before the index: index its names
                    database.execute_sql(f"INSERT INTO {TABLE} ({TABLE}) VALUES ('rebuild')")
    except DatabaseError as exc:  # no such extension or tokenizer: go without
        log.warning("product search without a trigram index (%s): it reads every name", exc)
        database.product_search = False
    else:
        database.product_search = True


BULK = 10_000  # products written at once above which SQLite's index is made again whole


@contextlib.contextmanager
def bulk_write(database, count):
    """Around writing ``count`` products inside a transaction. On SQLite, when many, the
    index is made again whole after them (a second for 300,000 names) instead of row by
    row through its triggers (most of a big import's time). The triggers are dropped and
    made again in the same transaction, so no other writer ever goes without them. On
    PostgreSQL the GIN index takes the names into its pending list, fast, and each search
    reads that list whole until it is merged: so it is merged at once, not by autovacuum
    some time later (searches took 300 ms until then)."""
    if count < BULK or not getattr(database, "product_search", False):
        yield
        return
    if isinstance(database, PostgresqlDatabase):
        yield
        database.execute_sql("SELECT gin_clean_pending_list('product_name_trigrams')")
        return
    for trigger in ("insert", "update", "delete"):
        database.execute_sql(f"DROP TRIGGER {TABLE}_{trigger}")
    yield
    database.execute_sql(f"INSERT INTO {TABLE} ({TABLE}) VALUES ('rebuild')")
    for statement in _SQLITE[1:]:
        database.execute_sql(statement)


def name_has_words(product, words):
    """A condition on ``product`` (the Product model): each of ``words`` is in its name."""
    database = product._meta.database
    if not words:
        return SQL("1 = 1")
    if getattr(database, "product_search", False) and \
            not isinstance(database, PostgresqlDatabase):
        likes = " AND ".join(["name LIKE ?"] * len(words))
        return product.id.in_(SQL(f"(SELECT rowid FROM {TABLE} WHERE {likes})",
                                  [f"%{word}%" for word in words]))
    return functools.reduce(operator.and_, [product.name.contains(word) for word in words])


def matching_skus(database, query):
    """(SQL of a subquery of SKUs, its ``:name`` parameters) matching ``query`` as the
    products page finds them: the SKU itself, a product's barcode, or each word (up to
    five) in a product's name."""
    query = (query or "").strip()
    params = {"q_sku": query, "q_code": query}
    words = query.split()[:5]
    params.update({f"q_word{n}": f"%{word}%" for n, word in enumerate(words)})
    if getattr(database, "product_search", False) and \
            not isinstance(database, PostgresqlDatabase):
        likes = " AND ".join(f"name LIKE :q_word{n}" for n in range(len(words)))
        names = f"SELECT sku FROM product WHERE id IN (SELECT rowid FROM {TABLE} WHERE {likes})"
    else:
        like = "ILIKE" if isinstance(database, PostgresqlDatabase) else "LIKE"
        names = "SELECT sku FROM product WHERE " + " AND ".join(
            f"name {like} :q_word{n}" for n in range(len(words)))
    return (f"{names} UNION SELECT :q_sku UNION SELECT product.sku FROM barcode "
            "JOIN product ON product.id = barcode.product_id WHERE barcode.code = :q_code",
            params)
