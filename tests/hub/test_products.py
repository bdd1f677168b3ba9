"""The hub's product CSV import and export on a real SQLite file: row-level errors, nothing
half-imported, upserts by SKU with barcodes that move, and a round trip."""
import subprocess
import sys

import pytest

from hub.models import AuditEntry, Barcode, Product, TaxClass
from hub.products import MAX_BYTES, CsvFileError, export_products, import_products
from tests.edge.conftest import ean13
from tests.postgres import url_of

HEADER = "sku,name,barcodes,category,tags,tax_class,sold_by,unit_price,member_price,rcn_item\n"
MILK, BREAD, WINE = ean13("400000000001"), ean13("400000000002"), ean13("400000000003")
GOOD = (HEADER
        + f"MILK,Milk 1L,{MILK},Dairy,dairy|organic,reduced,unit,1.19,0.99,\n"
        + f"BREAD,\"Sourdough, large\",{BREAD}|,Bakery,,reduced,unit,3.45,,\n"  # | ignored
        + "APPLE,Apples loose,,Fruit,fruit,reduced,weight,2.5,,0401\n")


@pytest.fixture(autouse=True)
def taxes(hub_db):
    TaxClass.create(code="reduced", name="Reduced")
    TaxClass.create(code="standard", name="Standard")


def imported(text):
    return import_products(text.encode(), "ada")


def test_a_clean_file_is_imported_and_exported_the_same():
    report = imported(GOOD)
    assert (report.ok, report.rows, report.created, report.updated) == (True, 3, 3, 0)
    milk = Product.get(Product.sku == "MILK")
    assert (milk.unit_price, milk.member_price, milk.tags) == (119, 99, ["dairy", "organic"])
    assert Product.get(Product.sku == "APPLE").unit_price == 250
    assert [code.code for code in milk.barcodes] == [MILK]
    exported = export_products()
    assert exported.splitlines()[0] == HEADER.strip()
    assert imported(exported).updated == 3  # the export imports again, unchanged
    assert export_products() == exported
    assert AuditEntry.select().where(AuditEntry.action == "products.import").count() == 2


def test_every_bad_row_is_reported_and_nothing_is_written():
    text = (GOOD
            + "MILK,Again,,,,reduced,unit,1.00,,\n"  # duplicate sku
            + f"WINE,Red wine,{WINE[:-1]}0,,,standard,unit,7.99,,\n"  # bad check digit
            + f"CAVA,Cava,{MILK},,,standard,unit,9.99,,\n"  # barcode on row 2 too
            + "X Y,Bad sku,,,,vat,each,1.999,-1,12\n"
            + "ONLY,two fields\n")
    report = imported(text)
    assert not report.ok
    found = {(row, column) for row, column, _ in report.errors}
    assert {(5, "sku"), (6, "barcodes"), (7, "barcodes"), (8, "sku"), (8, "tax_class"),
            (8, "sold_by"), (8, "unit_price"), (8, "member_price"), (8, "rcn_item"),
            (9, "")} <= found
    messages = {(row, column): message for row, column, message in report.errors}
    assert "also on row 2" in messages[(5, "sku")]
    assert "unknown tax class 'vat'" in messages[(8, "tax_class")]
    assert "at most 2 decimals" in messages[(8, "unit_price")]
    assert Product.select().count() == Barcode.select().count() == 0


def test_a_second_import_updates_prices_and_moves_barcodes():
    imported(GOOD)
    report = imported(HEADER + f"MILK,Milk 1L,{BREAD},Dairy,,reduced,unit,1.29,,\n"
                      + "BREAD,Sourdough,,Bakery,,reduced,unit,3.45,,\n")
    assert (report.created, report.updated) == (0, 2)
    milk = Product.get(Product.sku == "MILK")
    assert (milk.unit_price, milk.member_price, milk.tags) == (129, None, [])
    assert [code.code for code in milk.barcodes] == [BREAD]
    assert list(Product.get(Product.sku == "BREAD").barcodes) == []
    assert Product.select().count() == 3  # APPLE untouched


@pytest.mark.parametrize("data, message", [
    (b"x" * (MAX_BYTES + 1), "at most 100 MB"),
    (b"\xff\xfe not utf-8", "not UTF-8"),
    (b"sku,name,price\nA,B,1\n", "missing tax_class, unit_price; unknown price"),
    (b"", "missing sku"),
])
def test_a_file_that_cannot_be_read_says_why(data, message):
    with pytest.raises(CsvFileError, match=message):
        import_products(data, "ada")
    assert Product.select().count() == 0


def test_a_big_import_reports_progress_and_lands_whole():
    rows = [f"P{n:05d},Product {n},{ean13(f'41{n:010d}')},Aisle {n % 20},,standard,unit,"
            f"{n % 100}.{n % 97:02d},,\n" for n in range(5000)]
    steps = []
    report = import_products((HEADER + "".join(rows)).encode(), "ada",
                             progress=lambda done, total: steps.append((done, total)))
    assert report.ok and report.created == 5000
    assert steps[0] == (0, 5000) and steps[-1] == (5000, 5000) and len(steps) == 11
    assert Barcode.select().count() == 5000
    assert Product.get(Product.sku == "P04321").unit_price == 21 * 100 + 4321 % 97


def test_the_command_line_reports_rows_and_refuses_a_bad_file(tmp_path, hub_db):
    database = url_of(hub_db)
    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    good.write_text(GOOD)
    bad.write_text(HEADER + "MILK,Milk,,,,nope,unit,1,,\n")

    def run(*args):
        return subprocess.run([sys.executable, "-m", "hub", "products", *args, "--db",
                               database], capture_output=True, text=True)

    refused = run("import", "--file", str(bad))
    assert refused.returncode == 2 and "row 2 tax_class: unknown tax class 'nope'" in \
        refused.stderr and "nothing imported" in refused.stderr
    done = run("import", "--file", str(good))
    assert done.returncode == 0 and "3 products created" in done.stdout
    assert run("export", "--file", "-").stdout == export_products()
