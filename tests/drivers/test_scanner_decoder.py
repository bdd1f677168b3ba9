"""The scanner decoder on real evdev InputEvent streams, typed key by key per layout."""
import string

import pytest
from evdev import InputEvent, ecodes
from hypothesis import given
from hypothesis import strategies as st

from drivers.scanner import Rejection, ScannerError
from drivers.scanner.decoder import MAX_LENGTH, Decoder, decode, encode
from drivers.scanner.keymaps import LAYOUTS, charset

SCANNER_PUNCTUATION = "-./:+%$ _="
_MODIFIERS = {"": (), "S": (ecodes.KEY_LEFTSHIFT,), "G": (ecodes.KEY_RIGHTALT,)}


def key(time_s, code, value, kind=ecodes.EV_KEY):
    return InputEvent(*divmod(round(time_s * 1_000_000), 1_000_000), kind, code, value)


def typed(*keys, start=0.0, gap=0.005):
    """Presses a gap apart, by evdev key name: "A", "S-A" with Shift, "G-Q" with AltGr."""
    events = []
    for index, name in enumerate(keys):
        modifier, _, name = name.rpartition("-")
        held, code, time_s = _MODIFIERS[modifier], ecodes.ecodes["KEY_" + name], start + index * gap
        for pressed, value in ((held, 1), ((code,), 1), ((code,), 0), (held, 0)):
            events += [key(time_s, held_code, value) for held_code in pressed]
    return events


def decoded(events, layout="us", **options):
    rejected = []
    return decode(events, layout, on_reject=lambda *why: rejected.append(why), **options), rejected


FR_EAN_SHIFTED = [f"S-{digit}" for digit in "4006381333931"]


@pytest.mark.parametrize("layout, keys, text", [
    ("us", ["S-A", "B", "1", "MINUS"], "Ab1-"),
    ("us", list("4006381333931"), "4006381333931"),
    # AZERTY types digits with Shift; unshifted, the same keys are punctuation.
    ("fr", FR_EAN_SHIFTED, "4006381333931"),
    ("fr", list("4006381333931"), "'àà-\"_&\"\"\"ç\"&"),
    ("fr", ["Q", "W", "A", "Z", "SEMICOLON", "M"], "azqwm,"),
    # QWERTZ swaps y and z.
    ("de", ["Z", "Y"], "yz"),
    ("us", ["Z", "Y"], "zy"),
    # UK and US differ on " @ # £ \.
    ("us", ["S-2", "S-APOSTROPHE", "S-3", "BACKSLASH"], '@"#\\'),
    ("uk", ["S-2", "S-APOSTROPHE", "S-3", "BACKSLASH", "102ND"], '"@£#\\'),
    ("de", ["G-Q", "S-2", "BACKSLASH", "LEFTBRACE", "S-APOSTROPHE"], '@"#üÄ'),
    ("fr", ["G-0", "G-3", "G-E"], "@#€"),
    ("us", ["MINUS", "DOT", "SLASH", "S-SEMICOLON", "S-EQUAL", "S-5", "S-4", "SPACE",
            "S-MINUS", "EQUAL"], SCANNER_PUNCTUATION),
    ("uk", ["MINUS", "DOT", "SLASH", "S-SEMICOLON", "S-EQUAL", "S-5", "S-4", "SPACE",
            "S-MINUS", "EQUAL"], SCANNER_PUNCTUATION),
    ("de", ["SLASH", "DOT", "S-7", "S-DOT", "RIGHTBRACE", "S-5", "S-4", "SPACE", "S-SLASH",
            "S-0"], SCANNER_PUNCTUATION),
    ("fr", ["6", "S-COMMA", "S-DOT", "DOT", "S-EQUAL", "S-APOSTROPHE", "RIGHTBRACE", "SPACE",
            "8", "EQUAL"], SCANNER_PUNCTUATION),
    # Keypad digits are the same on every layout.
    ("fr", ["KP4", "KP0", "KPMINUS", "KPSLASH"], "40-/"),
])
def test_known_sequences(layout, keys, text):
    assert decoded(typed(*keys, "ENTER"), layout) == ([text], [])


def test_keypad_enter_ends_a_code():
    assert decode(typed("KP1", "KP2", "KPENTER")) == ["12"]


def test_right_shift_and_shift_held_over_several_keys():
    events = [key(0, ecodes.KEY_RIGHTSHIFT, 1), *typed("A", "B", start=0.001),
              key(0.02, ecodes.KEY_RIGHTSHIFT, 0), *typed("C", "ENTER", start=0.03)]
    assert decode(events) == ["ABc"]


def test_shift_stays_down_until_both_shift_keys_are_up():
    events = [key(0, ecodes.KEY_LEFTSHIFT, 1), key(0, ecodes.KEY_RIGHTSHIFT, 1),
              key(0, ecodes.KEY_LEFTSHIFT, 0), *typed("A", start=0.001),
              key(0.01, ecodes.KEY_RIGHTSHIFT, 0), *typed("A", "ENTER", start=0.02)]
    assert decode(events) == ["Aa"]


@pytest.mark.parametrize("layout, keys, text", [
    ("us", ["A", "S-A", "1", "S-1"], "Aa1!"),
    # Caps Lock leaves AZERTY's digit row alone: é stays é, digits still need Shift.
    ("fr", ["Q", "2", "S-2", "APOSTROPHE"], "Aé2ù"),
    ("de", ["LEFTBRACE", "MINUS", "Y"], "ÜßZ"),
])
def test_caps_lock_changes_letters_only(layout, keys, text):
    assert decode(typed("CAPSLOCK", *keys, "ENTER"), layout) == [text]


def test_caps_lock_toggles_and_lasts_across_codes():
    assert decode(typed("CAPSLOCK", "A", "ENTER", "A", "CAPSLOCK", "A", "ENTER")) == ["A", "Aa"]


def test_a_pause_longer_than_the_timeout_drops_the_partial_code():
    events = typed("1", "2") + typed("3", "ENTER", start=0.1)
    assert decoded(events) == (["3"], [(Rejection.TIMEOUT, "12")])
    assert decoded(events, timeout_ms=200) == (["123"], [])


def test_timeout_boundary_and_a_late_enter_reported_once():
    assert decoded(typed("1", "2", "ENTER", gap=0.050)) == (["12"], [])
    assert decoded(typed("1", "2", "ENTER", gap=0.0501)) == (
        [], [(Rejection.TIMEOUT, "1"), (Rejection.TIMEOUT, "2")])


def test_a_person_typing_is_not_a_scan():
    codes, rejected = decoded(encode("4006381333931", interval_s=0.2))
    assert codes == [] and {reason for reason, _ in rejected} == {Rejection.TIMEOUT}


def test_autorepeat_and_releases_type_nothing():
    one = ecodes.KEY_1
    events = [key(0, one, 1), key(0.01, one, 2), key(0.02, one, 2), key(0.03, one, 0),
              key(0.04, ecodes.KEY_LEFTSHIFT, 1), key(0.05, ecodes.KEY_LEFTSHIFT, 2),
              key(0.06, ecodes.KEY_A, 0), *typed("A", "ENTER", start=0.07)]
    assert decoded(events) == (["1A"], [])


def test_unknown_keys_dead_keys_and_other_events_are_ignored():
    events = [key(0, ecodes.MSC_SCAN, 458782, kind=ecodes.EV_MSC), key(0, ecodes.SYN_REPORT, 0,
              kind=ecodes.EV_SYN), *typed("1", "F1", "TAB", "LEFTCTRL", "GRAVE", "2", "ENTER")]
    assert decoded(events, "de") == (["12"], [])


def test_enter_alone_is_rejected_as_empty():
    assert decoded(typed("ENTER")) == ([], [(Rejection.EMPTY, "")])


def test_runaway_input_is_dropped_until_enter():
    events = typed(*["1"] * 300, "ENTER", "9", "ENTER")
    assert decoded(events) == (["9"], [(Rejection.TOO_LONG, "1" * (MAX_LENGTH + 1))])
    assert decode(typed(*["1"] * MAX_LENGTH, "ENTER")) == ["1" * MAX_LENGTH]


def test_runaway_input_ends_at_a_pause_too():
    events = typed(*["1"] * 300) + typed("2", "ENTER", start=10)
    assert decoded(events) == (["2"], [(Rejection.TOO_LONG, "1" * (MAX_LENGTH + 1))])


def test_events_as_tuples():
    events = typed("S-A", "1", "ENTER")
    as_seconds = [(e.timestamp(), e.type, e.code, e.value) for e in events]
    as_sec_usec = [(e.sec, e.usec, e.type, e.code, e.value) for e in events]
    assert decode(as_seconds) == decode(as_sec_usec) == decode(events) == ["A1"]


@pytest.mark.parametrize("event", ["abc", (1, 2), 42])
def test_an_unreadable_event_is_a_clear_error(event):
    with pytest.raises(ScannerError, match="expected an InputEvent"):
        Decoder().feed(event)


def test_unknown_layout_and_untypable_text():
    with pytest.raises(ScannerError, match="layout: unknown 'dvorak'"):
        Decoder("dvorak")
    with pytest.raises(ScannerError, match="cannot type 'ä'"):
        encode("bär", "us")
    with pytest.raises(ScannerError, match=r"cannot type '\^'"):  # a dead key on QWERTZ
        encode("^", "de")


def test_encode_holds_shift_around_the_key_and_spaces_presses():
    events = [e for e in encode("4", "fr", interval_s=0.01, start_s=5) if e.type == ecodes.EV_KEY]
    assert [(e.timestamp(), e.code, e.value) for e in events] == [
        (5.0, ecodes.KEY_LEFTSHIFT, 1), (5.0, ecodes.KEY_4, 1),
        (5.005, ecodes.KEY_4, 0), (5.005, ecodes.KEY_LEFTSHIFT, 0),
        (5.01, ecodes.KEY_ENTER, 1), (5.015, ecodes.KEY_ENTER, 0),
    ]


@pytest.mark.parametrize("layout", LAYOUTS)
def test_every_layout_types_what_scanners_send(layout):
    assert set(string.ascii_letters + string.digits + SCANNER_PUNCTUATION) <= charset(layout)


@pytest.mark.parametrize("layout", LAYOUTS)
@given(data=st.data())
def test_decode_inverts_encode(layout, data):
    texts = data.draw(st.lists(
        st.text(sorted(charset(layout)), min_size=1, max_size=MAX_LENGTH), min_size=1, max_size=3
    ))
    events = [event for index, text in enumerate(texts) for event in encode(text, layout,
                                                                            start_s=index * 5)]
    assert decoded(events, layout) == (texts, [])


@given(
    layout=st.sampled_from(LAYOUTS),
    steps=st.lists(st.tuples(
        st.integers(0, 100_000), st.sampled_from([ecodes.EV_KEY, ecodes.EV_SYN, ecodes.EV_MSC]),
        st.integers(0, 130), st.integers(0, 2),
    ), max_size=400),
)
def test_any_events_decode_without_raising(layout, steps):
    time_us, events = 0, []
    for gap_us, kind, code, value in steps:
        time_us += gap_us
        events.append(InputEvent(*divmod(time_us, 1_000_000), kind, code, value))
    codes, _ = decoded(events, layout)
    assert all(0 < len(code) <= MAX_LENGTH for code in codes)
