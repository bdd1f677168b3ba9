"""The hub's product catalog: CSV import and export.

An import is checked whole before anything is written: every row's errors are reported
with the row, the column and the reason, and a file with any error changes nothing. A
clean file is written in one transaction, so a product is never half-imported. Rows are
upserted by SKU and a row's barcodes replace that product's. Prices are written as people
write them (``12.49``, in the currency's decimals) and kept as integer minor units.
"""
import csv
import io
import json
import re
from dataclasses import dataclass, field

import peewee
from peewee import IntegrityError, PostgresqlDatabase, chunked

from shared.barcodes import BarcodeError, classify
from shared.money import format_money, parse_money
from shared.times import now

from .accounts import audit
from .models import Barcode, Product, TaxClass
from .product_search import bulk_write, name_has_words

COLUMNS = ("sku", "name", "barcodes", "category", "tags", "tax_class", "sold_by",
           "unit_price", "member_price", "rcn_item")
REQUIRED = ("sku", "name", "tax_class", "unit_price")
MAX_BYTES = 100 * 1024 * 1024  # far above 300,000 products (about 30 MB)
MAX_ERRORS = 1000  # listed; all are counted
_SKU = re.compile(r"[A-Za-z0-9._-]{1,32}")
_TAG = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}")
_RCN_ITEM = re.compile(r"\d{4,5}")


class CsvFileError(ValueError):
    """The file as a whole cannot be read (too big, not CSV, wrong columns)."""


@dataclass
class ImportReport:
    rows: int = 0  # data rows read
    created: int = 0
    updated: int = 0
    errors: list = field(default_factory=list)  # (row, column, message), the first MAX_ERRORS
    error_count: int = 0

    @property
    def ok(self):
        return self.error_count == 0

    def error(self, row, column, message):
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append((row, column, message))


def _split(text, separator="|"):
    return [part.strip() for part in (text or "").split(separator) if part.strip()]


def _check_row(number, raw, report, tax_classes, exponent, seen_skus, seen_codes):
    """The product fields and barcodes of one row, or None after reporting its errors."""
    before = report.error_count
    sku = (raw.get("sku") or "").strip()
    if not _SKU.fullmatch(sku):
        report.error(number, "sku", "1-32 characters A-Z a-z 0-9 . _ -")
    elif sku in seen_skus:
        report.error(number, "sku", f"{sku} is also on row {seen_skus[sku]}")
    else:
        seen_skus[sku] = number
    name = (raw.get("name") or "").strip()
    if not 1 <= len(name) <= 200:
        report.error(number, "name", "1-200 characters")
    tax_class = (raw.get("tax_class") or "").strip()
    if tax_class not in tax_classes:
        report.error(number, "tax_class", f"unknown tax class {tax_class!r}; known: "
                     f"{', '.join(sorted(tax_classes)) or 'none yet'}")
    sold_by = (raw.get("sold_by") or "unit").strip()
    if sold_by not in ("unit", "weight"):
        report.error(number, "sold_by", "unit or weight")
    prices = {}
    for column in ("unit_price", "member_price"):
        text = (raw.get(column) or "").strip()
        if not text:
            if column == "unit_price":
                report.error(number, column, "a price is needed, e.g. 2.49")
            prices[column] = None
            continue
        try:
            prices[column] = parse_money(text, exponent)
        except ValueError as exc:
            report.error(number, column, str(exc))
    tags = _split(raw.get("tags"))
    for tag in tags:
        if not _TAG.fullmatch(tag):
            report.error(number, "tags", f"tag {tag!r}: lower-case letters, digits, _ and -")
    category = (raw.get("category") or "").strip()
    if len(category) > 100:
        report.error(number, "category", "at most 100 characters")
    rcn_item = (raw.get("rcn_item") or "").strip() or None
    if rcn_item is not None and (sold_by != "weight" or not _RCN_ITEM.fullmatch(rcn_item)):
        report.error(number, "rcn_item", "4 or 5 digits, for products sold by weight")
    codes = []
    for code in _split(raw.get("barcodes")):
        try:
            scan = classify(code)
        except BarcodeError as exc:
            report.error(number, "barcodes", str(exc))
            continue
        if scan.kind != "gtin":
            report.error(number, "barcodes", f"{code} is not a product barcode")
        elif scan.gtin in seen_codes:
            report.error(number, "barcodes", f"{code} is also on row {seen_codes[scan.gtin]}")
        else:
            seen_codes[scan.gtin] = number
            codes.append(scan.gtin)
    if report.error_count > before:
        return None
    return {"sku": sku, "name": name, "category": category, "tags": tags,
            "tax_class": tax_class, "sold_by": sold_by, "unit_price": prices["unit_price"],
            "member_price": prices["member_price"], "rcn_item": rcn_item}, codes


def import_products(data, by, exponent=2, progress=None):
    """Import a products CSV (bytes); an ImportReport. ``progress(done, total)`` is told
    as rows are checked and written, for a progress bar."""
    if len(data) > MAX_BYTES:
        raise CsvFileError(f"the file is {len(data) // 2**20} MB: at most "
                           f"{MAX_BYTES // 2**20} MB")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CsvFileError(f"the file is not UTF-8 text (byte {exc.start})") from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [name.strip() for name in reader.fieldnames or []]
    missing = [name for name in REQUIRED if name not in header]
    unknown = [name for name in header if name not in COLUMNS]
    if missing or unknown:
        raise CsvFileError("columns: " + "; ".join(
            part for part in (f"missing {', '.join(missing)}" if missing else "",
                              f"unknown {', '.join(unknown)}" if unknown else "") if part)
            + f" (columns are {', '.join(COLUMNS)})")
    reader.fieldnames = header
    tax_classes = {tax.code for tax in TaxClass.select(TaxClass.code)}
    report, rows, seen_skus, seen_codes = ImportReport(), [], {}, {}
    try:
        for number, raw in enumerate(reader, start=2):  # row 1 is the header
            report.rows += 1
            extra, values = raw.pop(None, []), list(raw.values())
            if extra or None in values:
                fields = len(header) + len(extra) - values.count(None)
                report.error(number, "", f"{fields} fields, the header has {len(header)}")
                continue
            checked = _check_row(number, raw, report, tax_classes, exponent, seen_skus,
                                 seen_codes)
            if checked:
                rows.append(checked)
    except csv.Error as exc:
        raise CsvFileError(f"not a CSV file: {exc}") from None
    if progress:
        progress(0, len(rows))
    if report.ok:
        _write(rows, report, progress, by)
    return report


CHUNK = 500  # rows written between progress reports; SKUs or codes in one IN (...)
_UPSERTED = ("name", "category", "tags", "tax_class", "sold_by", "unit_price", "member_price",
             "rcn_item", "updated_at")
_COLUMNS = ("sku", "active", *_UPSERTED)  # a new product is active; an update keeps it


def _write(rows, report, progress, by):
    """Write checked rows in one transaction, CHUNK rows at a time. Each statement is
    built once and run for every row, or PostgreSQL's COPY takes the rows: peewee building
    300,000 rows' SQL was most of an import's time."""
    database = Product._meta.database
    postgres = isinstance(database, PostgresqlDatabase)
    with database.atomic():
        existing = _ids_of(database, [fields["sku"] for fields, _ in rows])
        # Barcodes move with their rows: another product's code is freed first, and a
        # product's own are replaced by the row's.
        _delete_in(database, "code", [code for _, row_codes in rows for code in row_codes])
        _delete_in(database, "product_id", list(existing.values()))
        stamp = Product.updated_at.db_value(now())
        if postgres:
            database.execute_sql(f"CREATE TEMP TABLE import_product ON COMMIT DROP AS SELECT "
                                 f"{', '.join(_COLUMNS)} FROM product WITH NO DATA")
        with bulk_write(database, len(rows)):
            _write_chunks(database, rows, stamp, progress)
        report.updated = len(existing)
        report.created = len(rows) - len(existing)
        audit(by, "products.import", "", {"created": report.created,
                                           "updated": report.updated})


def _write_chunks(database, rows, stamp, progress):
    """The rows, CHUNK at a time: products upserted, then their barcodes."""
    postgres = isinstance(database, PostgresqlDatabase)
    done = 0
    for batch in chunked(rows, CHUNK):
        values = [_values(fields, stamp) for fields, _ in batch]
        ids = _upsert_postgres(database, values) if postgres \
            else _upsert_sqlite(database, values)
        barcodes = [(code, ids[fields["sku"]]) for fields, codes in batch for code in codes]
        if postgres:
            with database.cursor().copy(
                    "COPY barcode (code, product_id) FROM STDIN") as copy:
                for row in barcodes:
                    copy.write_row(row)
        else:
            with peewee.__exception_wrapper__:
                database.cursor().executemany(
                    "INSERT INTO barcode (code, product_id) VALUES (?, ?)", barcodes)
        done += len(batch)
        if progress:
            progress(done, len(rows))


def _values(fields, stamp):
    return (fields["sku"], True, fields["name"], fields["category"], json.dumps(fields["tags"]),
            fields["tax_class"], fields["sold_by"], fields["unit_price"],
            fields["member_price"], fields["rcn_item"], stamp)


def _upsert_sqlite(database, values):
    """Insert products or update them by SKU; sku -> id."""
    sql = (f"INSERT INTO product ({', '.join(_COLUMNS)}) VALUES "
           f"({', '.join('?' * len(_COLUMNS))}) ON CONFLICT (sku) DO UPDATE SET "
           f"{', '.join(f'{name} = excluded.{name}' for name in _UPSERTED)}")
    with peewee.__exception_wrapper__:
        database.cursor().executemany(sql, values)
    return _ids_of(database, [row[0] for row in values])


def _upsert_postgres(database, values):
    """The same through COPY into a temporary table; sku -> id."""
    database.execute_sql("TRUNCATE import_product")
    with database.cursor().copy(f"COPY import_product ({', '.join(_COLUMNS)}) FROM STDIN") \
            as copy:
        for row in values:
            copy.write_row(row)
    return dict(database.execute_sql(
        f"INSERT INTO product ({', '.join(_COLUMNS)}) SELECT {', '.join(_COLUMNS)} FROM "
        f"import_product ON CONFLICT (sku) DO UPDATE SET "
        f"{', '.join(f'{name} = excluded.{name}' for name in _UPSERTED)} "
        f"RETURNING sku, id").fetchall())


def _ids_of(database, skus):
    """sku -> id of the products among ``skus``."""
    if isinstance(database, PostgresqlDatabase):
        return dict(database.execute_sql("SELECT sku, id FROM product WHERE sku = ANY(%s)",
                                         (skus,)).fetchall())
    ids = {}
    for batch in chunked(skus, CHUNK):
        ids.update(database.execute_sql(
            f"SELECT sku, id FROM product WHERE sku IN ({', '.join('?' * len(batch))})",
            batch).fetchall())
    return ids


def _delete_in(database, column, values):
    if isinstance(database, PostgresqlDatabase):
        database.execute_sql(f"DELETE FROM barcode WHERE {column} = ANY(%s)", (values,))
        return
    for batch in chunked(values, CHUNK):
        database.execute_sql(f"DELETE FROM barcode WHERE {column} IN "
                             f"({', '.join('?' * len(batch))})", batch)


def save_product(by, raw, exponent=2):
    """Create or update one product from form fields (the CSV's columns): (product, None)
    or (None, {column: message}). A barcode already on another product is refused here,
    where an import would move it."""
    report = ImportReport()
    checked = _check_row(1, raw, report, {tax.code for tax in TaxClass.select(TaxClass.code)},
                         exponent, {}, {})
    errors = {column: message for _, column, message in report.errors}
    if checked:
        fields, codes = checked
        for code in Barcode.select().join(Product).where(
                Barcode.code.in_(codes) & (Product.sku != fields["sku"])):
            errors["barcodes"] = f"{code.code} is on product {code.product.sku}"
    if errors:
        return None, errors
    try:
        return _save(by, fields, codes), None
    except IntegrityError:  # another writer (an import) took a barcode meanwhile
        return None, {"barcodes": "a barcode was just given to another product: check "
                                  "the barcodes and save again"}


def _save(by, fields, codes):
    with Product._meta.database.atomic():
        product = Product.get_or_none(Product.sku == fields["sku"])
        action = "product.update" if product else "product.create"
        before = _fields_of(product) if product else {}
        if product is None:
            product = Product(sku=fields["sku"])
        for name, value in fields.items():
            setattr(product, name, value)
        product.updated_at = now()
        product.save()
        Barcode.delete().where(Barcode.product == product).execute()
        for code in codes:
            Barcode.create(code=code, product=product)
        after = _fields_of(product)
        audit(by, action, product.sku, {name: [before.get(name), value]
                                        for name, value in after.items()
                                        if before.get(name) != value})
    return product


def _fields_of(product):
    return {**{name: getattr(product, name) for name in COLUMNS if name != "barcodes"},
            "barcodes": sorted(code.code for code in product.barcodes)}


def search_products(query, limit=50):
    """Products by exact SKU or barcode, else by words of the name (each must appear)."""
    query = (query or "").strip()
    if not query:
        return list(Product.select().order_by(Product.sku).limit(limit))
    exact = Product.select().where(Product.sku == query)
    try:
        scan = classify(query)
    except (BarcodeError, ValueError):
        scan = None
    if scan is not None and scan.kind == "gtin":
        exact = exact | Product.select().join(Barcode).where(Barcode.code == scan.gtin)
    found = list(exact)
    if found:
        return found
    # Ordered by an expression, not the name's index: walking that index in order until
    # 50 names match took PostgreSQL 400 ms for a brand whose names all sort together
    # far down the list; the trigram index finds them all, and they are few to sort.
    return list(Product.select().where(name_has_words(Product, query.split()[:5]))
                .order_by(Product.name.concat(""), Product.sku).limit(limit))


def export_products(exponent=2):
    """Every product as CSV text, in the columns an import reads."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    codes = {}
    for product_id, code in Barcode.select(Barcode.product, Barcode.code).tuples():
        codes.setdefault(product_id, []).append(code)
    for product in Product.select().order_by(Product.sku):
        writer.writerow([
            product.sku, product.name, "|".join(sorted(codes.get(product.id, []))),
            product.category, "|".join(product.tags), product.tax_class, product.sold_by,
            format_money(product.unit_price, exponent),
            "" if product.member_price is None else format_money(product.member_price,
                                                                 exponent),
            product.rcn_item or ""])
    return out.getvalue()
