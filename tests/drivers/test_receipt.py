"""Receipt layout (pure text at a paper width), its rendering onto python-escpos's Dummy, and
the on-screen preview drawn from it."""
import copy
import io

import pytest
from escpos.printer import Dummy
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from drivers.printer import preview, receipt
from drivers.printer.preview import render_preview
from drivers.printer.receipt import InvalidReceipt, layout

SALE = {
    "kind": "sale", "reprint": False,
    "store": {"name": "Corner Grocer", "address": ["12 Market Street", "Springfield"],
              "phone": "01234 567890", "tax_id": "GB123456789", "footer": "Thank you!"},
    "currency": {"code": "GBP", "exponent": 2, "symbol": "£"},
    "sale_ref": "T01-000042", "barcode": "TS-T01-42", "till": "T01",
    "timestamp": "2026-11-25T14:03:00+00:00", "cashier": "Alice",
    "customer": {"name": "Jo Bloggs", "card": "6001234"},
    "lines": [
        {"name": "Bananas loose", "qty": None, "weight_g": 1234, "unit_price": 119, "base": 147,
         "discounts": [{"promotion": "P3", "name": "10% off fruit", "amount": 15}], "net": 132},
        {"name": "Milk 2L", "qty": 2, "weight_g": None, "unit_price": 145, "base": 290,
         "discounts": [], "net": 290},
    ],
    "savings": [{"promotion": "P3", "name": "10% off fruit", "amount": 15}], "total_savings": 15,
    "subtotal": 437, "basket_discount": 0,
    "taxes": [{"id": "vat20", "name": "VAT 20%", "amount": 22}], "tax_total": 22,
    "tax_mode": "inclusive", "total": 422, "cash_total": 420,
    "tenders": [{"type": "cash", "label": "Cash", "amount": 500},
                {"type": "card", "label": "Visa ••1234", "amount": 0}],
    "change": 80,
}

EXPECTED_42 = """\
              Corner Grocer
             12 Market Street
               Springfield
             Tel 01234 567890
            Tax ID GB123456789

Sale T01-000042                   Till T01
2026-11-25 14:03            Cashier: Alice
Customer: Jo Bloggs
Card ***1234
------------------------------------------
Bananas loose                         1.47
  1.234 kg @ 1.19/kg
  10% off fruit                      -0.15
Milk 2L                               2.90
  2 x 1.45
------------------------------------------
Subtotal                              4.37
You saved £0.15
VAT 20% incl.                         0.22
TOTAL                                £4.22
Cash rounding                        -0.02
Cash                                  5.00
Visa ••1234                           0.00
Change                                0.80
------------------------------------------
                TS-T01-42
                Thank you!
"""

EXPECTED_32 = """\
         Corner Grocer
        12 Market Street
          Springfield
        Tel 01234 567890
       Tax ID GB123456789

Sale T01-000042         Till T01
2026-11-25 14:03  Cashier: Alice
Customer: Jo Bloggs
Card ***1234
--------------------------------
Bananas loose               1.47
  1.234 kg @ 1.19/kg
  10% off fruit            -0.15
Milk 2L                     2.90
  2 x 1.45
--------------------------------
Subtotal                    4.37
You saved £0.15
VAT 20% incl.               0.22
TOTAL                      £4.22
Cash rounding              -0.02
Cash                        5.00
Visa ••1234                 0.00
Change                      0.80
--------------------------------
           TS-T01-42
           Thank you!
"""


def sale(**changes):
    document = copy.deepcopy(SALE)
    document.update(changes)
    return document


def texts(document, width=42, code="code128"):
    return [line.text for line in layout(document, width, code)]


def line_starting(document, prefix, width=42):
    return next(text for text in texts(document, width) if text.startswith(prefix))


@pytest.mark.parametrize(("width", "expected"), [(42, EXPECTED_42), (32, EXPECTED_32)])
def test_whole_receipt_at_both_paper_widths(width, expected):
    assert receipt.plain_text(layout(SALE, width)) == expected


def test_styles_mark_the_store_name_total_and_barcode():
    lines = layout(SALE, 42, "both")
    styles = {line.style: line for line in lines}
    assert styles["title"].text.strip() == "Corner Grocer"
    assert styles["bold"].text.startswith("TOTAL")
    assert styles["barcode"].data == styles["qr"].data == "TS-T01-42"


def test_long_name_wraps_beside_its_right_aligned_amount():
    name = "Organic free range extra large brown eggs from the farm down the lane"
    document = sale(lines=[{"name": name, "qty": 1, "unit_price": 1234567, "base": 1234567}])
    for width in (32, 42):
        lines = texts(document, width)
        start = next(i for i, text in enumerate(lines) if text.startswith("Organic"))
        first = lines[start]
        assert first.endswith(" 12345.67") and len(first) == width
        wrapped = [first.removesuffix(" 12345.67").strip()]
        for text in lines[start + 1:]:
            if text.startswith("---"):
                break
            assert len(text) <= width - len(" 12345.67")  # clear of the amount column
            wrapped.append(text)
        assert " ".join(wrapped) == name


def test_a_word_longer_than_the_line_is_broken():
    document = sale(lines=[{"name": "X" * 70, "qty": 1, "unit_price": 5, "base": 5}])
    assert all(len(text) <= 32 for text in texts(document, 32))
    assert "".join(t.removesuffix("0.05").strip() for t in texts(document, 32) if "X" in t) == (
        "X" * 70)


def test_quantity_of_one_has_no_quantity_line():
    document = sale(lines=[{"name": "Bread", "qty": 1, "unit_price": 95, "base": 95}])
    assert not any(" x " in text for text in texts(document))


@pytest.mark.parametrize(("exponent", "symbol", "total", "shown"), [
    (0, "¥", 1500, "¥1500"), (3, "KD", 12345, "KD12.345"), (2, "", 5, "0.05")])
def test_money_follows_the_currency(exponent, symbol, total, shown):
    document = sale(currency={"exponent": exponent, "symbol": symbol}, total=total)
    assert line_starting(document, "TOTAL").endswith(" " + shown)


def test_refund_has_a_banner_and_negative_amounts():
    document = sale(kind="refund")
    lines = layout(document, 42)
    banner = next(line for line in lines if line.style == "banner")
    assert banner.text.strip() == "*** REFUND ***"
    assert line_starting(document, "Refund T01-000042").endswith("Till T01")
    assert line_starting(document, "Milk 2L").endswith(" -2.90")
    assert line_starting(document, "  10% off fruit").endswith(" 0.15")
    assert line_starting(document, "TOTAL").endswith(" -£4.22")
    assert line_starting(document, "Cash  ").endswith(" -5.00")
    assert not any(text.startswith("You saved") for text in texts(document))


def test_reprint_banner_only_on_reprints():
    assert "*** REPRINT ***" in [t.strip() for t in texts(sale(reprint=True))]
    assert "*** REPRINT ***" not in [t.strip() for t in texts(SALE)]


def test_cash_rounding_needs_a_difference_and_a_cash_tender():
    assert line_starting(SALE, "Cash rounding").endswith(" -0.02")
    card_only = sale(tenders=[{"type": "card", "label": "Visa", "amount": 422}], change=0)
    assert not any(t.startswith(("Cash rounding", "Change")) for t in texts(card_only))
    exact = sale(cash_total=422)
    assert not any(t.startswith("Cash rounding") for t in texts(exact))


def test_basket_discount_and_exclusive_tax():
    document = sale(basket_discount=100, tax_mode="exclusive")
    assert line_starting(document, "Basket discount").endswith(" -1.00")
    assert line_starting(document, "VAT 20%").rstrip().endswith("0.22")
    assert not any("incl." in text for text in texts(document))


def test_the_coupons_presented_follow_the_savings():
    lines = texts(sale(coupons=["SPRING-0G1M-Z4QH-7KXD", "WELCOME10"]))
    at = lines.index("You saved £0.15")
    assert lines[at + 1:at + 3] == ["Coupon SPRING-0G1M-Z4QH-7KXD", "Coupon WELCOME10"]
    assert not any(t.startswith("Coupon") for t in texts(sale()))


def test_optional_fields_may_be_missing_or_null():
    document = sale(customer=None, till=None, cashier=None, barcode=None,
                    store={"name": "Shop"}, tenders=[], taxes=[], change=0)
    lines = texts(document)
    assert lines[0].strip() == "Shop"
    assert lines[2] == "Sale T01-000042"
    assert not any(t.startswith(("Customer", "Card", "Change")) for t in lines)


def test_control_characters_never_reach_the_paper():
    document = sale(lines=[{"name": "Evil\x1b@\x1dV\x00name\nhere", "qty": 1, "unit_price": 1,
                            "base": 1}])
    assert "Evil @ V name here" in line_starting(document, "Evil")
    paper = Dummy()
    receipt.render(paper, document)
    assert b"Evil @ V name here" in paper.output


def test_a_barcode_too_wide_for_the_paper_becomes_a_qr_code():
    document = sale(barcode="ABCDEFGHIJKLMNOPQR")  # 18 characters: 233 modules, 466 dots
    assert [line.style for line in layout(document, 42)][-2] == "barcode"
    assert [line.style for line in layout(document, 32)][-2] == "qr"


@pytest.mark.parametrize(("change", "message"), [
    ({"sale_ref": None}, "sale_ref is missing"),
    ({"total": 4.22}, "total must be int, not float"),
    ({"total": True}, "total must be int, not bool"),
    ({"lines": "bananas"}, "lines must be list or tuple"),
    ({"lines": [{"name": "x"}]}, "lines[0].base is missing"),
    ({"lines": [{"name": "x", "base": 1, "qty": 3}]}, "lines[0].unit_price is missing"),
    ({"lines": [{"name": "x", "base": 1, "weight_g": -5, "unit_price": 1}]}, "weight_g"),
    ({"taxes": [{"name": "VAT", "amount": "0.22"}]}, "taxes[0].amount must be int"),
    ({"kind": "void"}, "kind must be 'sale' or 'refund'"),
    ({"coupons": [7]}, "coupons[0] must be str"),
    ({"tax_mode": "both"}, "tax_mode"),
    ({"timestamp": "yesterday"}, "timestamp is not ISO 8601"),
    ({"barcode": "TS-Ω"}, "barcode must be"),
    ({"barcode": "X" * 25}, "barcode must be"),
    ({"store": "Corner Grocer"}, "store must be Mapping"),
    ({"currency": {"exponent": 9}}, "currency.exponent"),
])
def test_malformed_documents_are_named(change, message):
    with pytest.raises(InvalidReceipt, match=message.replace("[", r"\[").replace("]", r"\]")):
        layout(sale(**change))


def test_not_a_document_at_all():
    with pytest.raises(InvalidReceipt, match="dict"):
        layout(["not", "a", "dict"])


@pytest.mark.parametrize(("width", "code"), [(10, "code128"), (42.0, "code128"), (42, "ean")])
def test_bad_width_or_code_is_a_value_error(width, code):
    with pytest.raises(ValueError, match="width|code"):
        layout(SALE, width, code)


names = st.text(st.characters(codec="latin-1", categories=("L", "N", "P", "Zs")), max_size=90)
amounts = st.integers(min_value=0, max_value=10**12)


@given(width=st.integers(receipt.MIN_WIDTH, receipt.MAX_WIDTH),
       items=st.lists(st.tuples(names, amounts, st.integers(1, 999)), max_size=4),
       store=names, cashier=names, discount=names)
def test_no_line_is_ever_wider_than_the_paper(width, items, store, cashier, discount):
    document = sale(
        store={"name": store, "address": [store], "footer": store}, cashier=cashier,
        lines=[{"name": name, "qty": qty, "unit_price": amount, "base": amount * qty,
                "discounts": [{"name": discount, "amount": amount}]}
               for name, amount, qty in items])
    lines = layout(document, width)
    assert all(len(line.text) <= width for line in lines)
    assert all(len(line.text.strip()) <= width // 2 for line in lines if line.style == "title")
    for _, amount, qty in items:
        shown = f"{amount * qty // 100}.{amount * qty % 100:02d}"
        assert any(line.text.endswith(" " + shown) or line.text == shown.rjust(width)
                   for line in lines)


# -- rendering onto python-escpos ------------------------------------------------------------
def rendered(document=SALE, profile=None, **options):
    paper = Dummy(profile=profile)
    receipt.render(paper, document, **options)
    return paper.output


def test_render_resets_prints_and_cuts():
    output = rendered()
    assert output.startswith(b"\x1b@")  # ESC @ initialise
    assert output.endswith(b"\x1dV\x00")  # GS V 0: full cut
    assert b"Bananas loose                         1.47\n" in output
    assert b"\x9c4.22" in output  # the pound sign in the printer's code page


def test_render_without_cut():
    assert b"\x1dV" not in rendered(cut=False)


def test_render_styles_the_store_name_and_total():
    output = rendered()
    assert b"\x1b!0\x1bE\x01\x1ba\x01" in output  # double size, bold, centred
    assert output.index(b"\x1bE\x01") < output.index(b"Corner Grocer")
    total = output.index(b"TOTAL")
    assert b"\x1bE\x01" in output[total - 6:total]  # bold just before the total
    assert b"\x1bE\x00" in output[total:output.index(b"Cash rounding")]  # and off after it


def test_render_prints_code128_on_the_printer():
    output = rendered()
    # GS k 73 (CODE128, function B), length, then the code set B selector and the data.
    assert b"\x1dkI\x0b{BTS-T01-42" in output
    assert b"\x1d(k" not in output


def test_render_prints_a_native_qr_code():
    output = rendered(code="qr")
    assert b"\x1d(k\x0c\x001P0TS-T01-42" in output  # store the data
    assert b"\x1d(k\x03\x001Q0" in output  # print the symbol
    assert b"\x1dk" not in output


def test_no_code_when_asked_for_none():
    output = rendered(code="none")
    assert b"\x1dk" not in output and b"\x1d(k" not in output


def test_barcode_brace_is_escaped_for_code_set_b():
    assert b"{BA{{B" in rendered(sale(barcode="A{B"))


def test_printer_without_hardware_code128_gets_an_image():
    output = rendered(profile="POS-5890", width=32)  # no barcodeB: python-barcode's picture
    assert b"\x1dkI" not in output
    assert b"\x1dv0" in output  # GS v 0: raster bit image


# -- preview ---------------------------------------------------------------------------------
def preview_image(document=SALE, **options):
    png = render_preview(document, **options)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    image = Image.open(io.BytesIO(png))
    image.load()
    return image


def test_preview_is_a_png_about_as_tall_as_the_receipt():
    image = preview_image()
    lines = len(layout(SALE, 42))
    assert image.format == "PNG"
    assert lines * preview.LINE_HEIGHT < image.height < (lines + 10) * preview.LINE_HEIGHT
    assert image.width > 42 * 10


def test_preview_grows_with_the_receipt_and_the_paper():
    items = [{"name": f"Item {n}", "qty": 1, "unit_price": 100, "base": 100} for n in range(10)]
    longer = preview_image(sale(lines=items))
    assert longer.height - preview_image().height >= 5 * preview.LINE_HEIGHT
    assert preview_image(width=32).width < preview_image().width


def test_preview_draws_the_codes():
    plain = preview_image(code="none")
    barcode = preview_image(code="code128")
    both = preview_image(code="both")
    assert plain.height < barcode.height < both.height - 3 * preview.LINE_HEIGHT
    # The bars start where the footer was without codes: a row through them alternates black
    # and white many times.
    top = plain.height - preview.MARGIN - preview.LINE_HEIGHT
    row = [barcode.getpixel((x, top + 20)) for x in range(barcode.width)]
    assert sum(1 for a, b in zip(row, row[1:], strict=False) if a != b) > 40


def test_preview_of_a_malformed_document():
    with pytest.raises(InvalidReceipt):
        render_preview(sale(lines=None))
