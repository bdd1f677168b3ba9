"""A scanner driven from code: ``scan(text)`` types the text as a scanner set to the till's
layout would, and decodes it like a real scan, so demos and tests take the real path."""
import time

from drivers.scanner import DEFAULT_TIMEOUT_MS, OnCode, OnReject, Scanner
from drivers.scanner.decoder import TYPING_INTERVAL_S, Decoder, encode
from drivers.scanner.keymaps import keymap


class SimulatedScanner(Scanner):
    """Always plugged in; delivers each code synchronously, from the thread calling scan()."""

    def __init__(self, layout: str = "us", timeout_ms: float = DEFAULT_TIMEOUT_MS):
        keymap(layout)  # a bad layout fails here, not at the first scan
        self._layout = layout
        self._timeout_ms = timeout_ms
        self._decoder: Decoder | None = None
        self._on_code: OnCode | None = None

    def start(self, on_code: OnCode, on_reject: OnReject | None = None) -> None:
        if self._on_code is not None:
            raise RuntimeError("scanner already started")
        self._decoder = Decoder(self._layout, self._timeout_ms, on_reject)
        self._on_code = on_code

    def stop(self) -> None:
        self._decoder = self._on_code = None

    @property
    def connected(self) -> bool:
        return True

    def scan(self, text: str, interval_s: float = TYPING_INTERVAL_S) -> None:
        """Type ``text`` and Enter, one key every ``interval_s`` (slower than the timeout
        looks like a person typing, and is rejected)."""
        decoder, on_code = self._decoder, self._on_code
        if decoder is None or on_code is None:
            raise RuntimeError("scanner not started: call start() first")
        for event in encode(text, self._layout, interval_s, start_s=time.time()):
            code = decoder.feed(event)
            if code is not None:
                on_code(code)
