import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.barcodes import MAX_LENGTH, BarcodeError, Scan, classify, receipt_code

# Check digits written out from the GS1 General Specifications, independently of biip.


def check_digit(payload: str) -> str:
    """7.9.1: weights 3, 1, 3, ... from the right; the digit that makes the sum a multiple
    of ten."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(payload)))
    return str(-total % 10)


# 7.9.2: weighted products per digit 0..9.
TWO_MINUS = [0, 2, 4, 6, 8, 9, 1, 3, 5, 7]
THREE = [0, 3, 6, 9, 2, 5, 8, 1, 4, 7]
FIVE_PLUS = [0, 5, 1, 6, 2, 7, 3, 8, 4, 9]
FIVE_MINUS = [0, 5, 9, 4, 8, 3, 7, 2, 6, 1]


def measure_check_digit(value: str) -> str:
    """7.9.3 (four digits: 2-, 2-, 3, 5-) and 7.9.4 (five digits: 5+, 2-, 5-, 5+, 2-)."""
    digits = [int(d) for d in value]
    if len(digits) == 4:
        tables = (TWO_MINUS, TWO_MINUS, THREE, FIVE_MINUS)
        return str(sum(t[d] for t, d in zip(tables, digits, strict=True)) * 3 % 10)
    tables = (FIVE_PLUS, TWO_MINUS, FIVE_MINUS, FIVE_PLUS, TWO_MINUS)
    target = -sum(t[d] for t, d in zip(tables, digits, strict=True)) % 10
    return str(FIVE_MINUS.index(target))


def with_check(payload: str) -> str:
    return payload + check_digit(payload)


def german_label(prefix: str, item: str, value: int) -> str:
    """GS1 Germany's "PPPPPPCVVVVV": prefix, PLU, the value's check digit, the value."""
    digits = f"{value:05d}"
    return with_check(f"{prefix}{item}{measure_check_digit(digits)}{digits}")


def test_check_digit_helpers_match_the_specification_examples():
    assert with_check("400638133393") == "4006381333931"
    assert measure_check_digit("2875") == "9" and measure_check_digit("14685") == "6"


@pytest.mark.parametrize("code, gtin", [
    ("4006381333931", "4006381333931"),        # EAN-13
    ("036000291452", "0036000291452"),         # UPC-A gets a leading 0
    ("96385074", "96385074"),                  # EAN-8 stays 8 digits
    ("0000096385074", "96385074"),             # ... also when padded
    ("04006381333931", "4006381333931"),       # GTIN-14 of a retail unit: the EAN-13
    (with_check("1400638133393"), with_check("1400638133393")),  # a case: GTIN-14
    (" 4006381333931\n", "4006381333931"),     # surrounding whitespace
])
def test_gtin_normal_form(code, gtin):
    assert classify(code, "de") == Scan("gtin", code.strip(), gtin=gtin)


@given(st.text("0123456789", min_size=12, max_size=12))
def test_any_twelve_digits_with_their_check_digit_are_a_gtin(payload):
    code = with_check(payload)
    scan = classify(code, None)
    assert scan.kind == "gtin"
    assert len(scan.gtin) in (8, 13) and scan.gtin.zfill(14) == code.zfill(14)


@given(st.sampled_from([7, 11, 12, 13]).flatmap(
    lambda n: st.text("0123456789", min_size=n, max_size=n)))
def test_every_gtin_length_is_accepted(payload):
    assert classify(with_check(payload)).kind == "gtin"


@given(st.text("0123456789", min_size=12, max_size=12), st.integers(0, 12),
       st.integers(1, 9), st.sampled_from([None, "de", "se"]))
def test_a_single_wrong_digit_is_rejected(payload, position, shift, region):
    code = with_check(payload)
    wrong = code[:position] + str((int(code[position]) + shift) % 10) + code[position + 1:]
    with pytest.raises(BarcodeError, match="check digit wrong: expected"):
        classify(wrong, region)


@given(st.sampled_from(["28", "29"]), st.text("0123456789", min_size=4, max_size=4),
       st.integers(1, 99_999))
def test_german_weight_labels_round_trip(prefix, item, grams):
    code = german_label(prefix, item, grams)
    assert classify(code, "de") == Scan("variable", code, item=item, weight_g=grams)


@given(st.sampled_from(["22", "23"]), st.text("0123456789", min_size=4, max_size=4),
       st.integers(1, 99_999))
def test_german_price_labels_round_trip(prefix, item, cents):
    code = german_label(prefix, item, cents)
    assert classify(code, "de") == Scan("variable", code, item=item, price=cents)


def test_a_wrong_weight_check_digit_is_rejected_even_when_the_gtin_checks():
    good = german_label("28", "0401", 348)
    bad = with_check(good[:6] + str((int(good[6]) + 1) % 10) + good[7:12])
    with pytest.raises(BarcodeError, match="[Cc]heck digit"):
        classify(bad, "de")


def test_other_regions_follow_their_own_layout():
    # Sweden: "23" weight in grams, no value check digit; item is 6 digits.
    code = with_check("231234560750")
    assert classify(code, "se") == Scan("variable", code, item="123456", weight_g=750)
    # Great Britain: "20" price with a four-digit value check digit.
    code = with_check("2012345" + measure_check_digit("0399") + "0399")
    assert classify(code, "gb") == Scan("variable", code, item="12345", price=399)


def test_variable_prefixes_without_a_rule_are_in_store_product_numbers():
    code = german_label("20", "0401", 348)
    assert classify(code, "de").kind == "gtin"
    label = german_label("28", "0401", 348)
    assert classify(label, None) == Scan("gtin", label, gtin=label)


@pytest.mark.parametrize("region", ["de", "gb", "se", None])
def test_prefix_02_codes_are_in_store_product_numbers(region):
    """biip has no 02 rule in any region: a 13-digit 02 code and the 12-digit UPC-A 2 code
    it reads as are one in-store GTIN, never a price or weight label."""
    ean = with_check("021234500399")
    upc = with_check("21234500399")
    assert classify(ean, region) == Scan("gtin", ean, gtin=ean)
    assert classify(upc, region) == Scan("gtin", upc, gtin=ean)
    with pytest.raises(BarcodeError, match="[Cc]heck digit"):
        classify(ean[:-1] + str((int(ean[-1]) + 1) % 10), region)


def test_count_labels_are_refused():
    with pytest.raises(BarcodeError, match="count-embedded"):
        classify(german_label("25", "0401", 6), "de")


def test_zero_weight_is_refused():
    with pytest.raises(BarcodeError, match="zero"):
        classify(german_label("28", "0401", 0), "de")


@given(st.from_regex(r"[A-Z0-9]{1,8}", fullmatch=True), st.integers(1, 10**30))
def test_receipts_round_trip(till, seq):
    code = receipt_code(till, seq)
    assert classify(code, "de") == Scan("receipt", code, till=till, seq=seq)


@pytest.mark.parametrize("code", ["TS-T1-0", "TS-T1-007", "TS-t1-5", "TS-123456789-1",
                                  "TS--1", "TS-T1-", "TS-T1-1x"])
def test_malformed_receipts_are_refused(code):
    with pytest.raises(BarcodeError, match="unknown barcode format"):
        classify(code, "de")


@pytest.mark.parametrize("till, seq", [("t1", 1), ("", 1), ("T1", 0), ("T1", True),
                                       ("T1", "5"), ("T1", 10**70)])
def test_receipt_code_refuses_bad_parts(till, seq):
    with pytest.raises(BarcodeError):
        receipt_code(till, seq)


def test_loyalty_cards_by_letter_or_digit_prefix():
    assert classify("LC69168862", "de", loyalty_prefix="LC") == Scan(
        "loyalty", "LC69168862", card="LC69168862")
    # A store's digit prefix wins over GTINs, check digit or not.
    assert classify("9800123456789", "de", loyalty_prefix="9800").kind == "loyalty"
    with pytest.raises(BarcodeError, match="unknown barcode format"):
        classify("LC69168862", "de")
    with pytest.raises(BarcodeError, match="after the prefix"):
        classify("LC-1234", "de", loyalty_prefix="LC")


@pytest.mark.parametrize("option", [{"rcn_region": "xx"}, {"loyalty_prefix": ""},
                                    {"loyalty_prefix": "lc"}, {"loyalty_prefix": 98}])
def test_bad_store_configuration_is_a_plain_value_error(option):
    with pytest.raises(ValueError) as info:
        classify("4006381333931", **{"rcn_region": "de", **option})
    assert not isinstance(info.value, BarcodeError)
    assert next(iter(option)) in str(info.value)


@pytest.mark.parametrize("code, reason", [
    ("", "empty"), (" \t\n", "empty"), ("4" * (MAX_LENGTH + 1), "too long"),
    ("40063\x0781333931", "not printable"), ("4006381333931\x00", "not printable"),
    ("hello", "unknown barcode format"), ("1234567", "unknown barcode format"),
    ("٤٠٠٦٣٨١٣٣٣٩٣١", "unknown barcode format"), ("https://id.gs1.org/01/04006381333931",
                                                  "unknown barcode format"),
    ("4006381333932", "check digit wrong: expected 1, got 2"), (None, "text"),
])
def test_refusals_say_why(code, reason):
    with pytest.raises(BarcodeError, match=reason):
        classify(code, "de")


GTIN14 = "04006381333931"


@pytest.mark.parametrize("code, expected", [
    (f"01{GTIN14}", Scan("gtin", f"01{GTIN14}", gtin="4006381333931")),
    (f"]C101{GTIN14}", Scan("gtin", f"]C101{GTIN14}", gtin="4006381333931")),
    (f"01{GTIN14}3103000750", Scan("variable", f"01{GTIN14}3103000750",
                                   gtin="4006381333931", item="4006381333931", weight_g=750)),
    (f"01{GTIN14}10LOT7\x1d3922456", Scan("variable", f"01{GTIN14}10LOT7\x1d3922456",
                                          gtin="4006381333931", item="4006381333931",
                                          price=456)),
    (f"01{GTIN14}31030007503922456", Scan("variable", f"01{GTIN14}31030007503922456",
                                          gtin="4006381333931", item="4006381333931",
                                          price=456)),
])
def test_gs1_element_strings(code, expected):
    assert classify(code, "de") == expected


@pytest.mark.parametrize("code, reason", [
    ("0104006381333932", "GTIN check digit"), ("10ABC", "unknown barcode format"),
    (f"01{GTIN14}3105000001", "finer than"),
])
def test_gs1_element_string_refusals(code, reason):
    with pytest.raises(BarcodeError, match=reason):
        classify(code, "de")


def test_scans_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        classify("4006381333931").gtin = "x"


AWKWARD = st.text(st.sampled_from(list("0123456789" * 4 + "]CdQE(),-TSL \x1d\x07é٣")),
                  max_size=MAX_LENGTH + 4)
PREFIXED = st.tuples(st.sampled_from(["", "]C1", "]d2", "]", "01", "TS-", "LC", "28", "http"]),
                     AWKWARD).map("".join)


@given(st.one_of(st.text(), AWKWARD, PREFIXED), st.sampled_from([None, "de", "se", "gb"]))
def test_any_text_is_a_scan_or_a_barcode_error(code, region):
    try:
        scan = classify(code, region, loyalty_prefix="LC")
    except BarcodeError as exc:
        assert str(exc)
        return
    assert scan.kind in ("gtin", "variable", "receipt", "loyalty")
    if scan.kind == "variable":
        assert (scan.weight_g is None) != (scan.price is None)
