from shared.whole_numbers import whole_number


def test_digits_within_the_bounds_are_read():
    assert whole_number("42", 100) == 42
    assert whole_number(" 007 ", 100) == 7
    assert whole_number(0, 10) == 0
    assert whole_number("100", 100) == 100


def test_anything_else_is_none_never_an_exception():
    for text in ("", None, "-1", "1.5", "1e3", "²", "٣", "12a", "0x10", "101", "9" * 5000,
                 "1 2"):
        assert whole_number(text, 100) is None, text
    assert whole_number("0", 10, least=1) is None
