"""Simulated card terminal for the demo and tests.

The outcome of each charge or refund is, first match wins:

1. the one set by ``next_outcome()`` (used once): "approve", "decline", "timeout", "error";
2. the amount's last two minor-unit digits, like the card networks' test amounts:
   ``..01`` declines (e.g. 12.01), ``..02`` times out, ``..03`` is a terminal error;
3. otherwise approved.

A timeout waits ``min(timeout_s option, the request's timeout_s)`` seconds (option default
2 s) so tests and the demo never wait the real 60 s. Card brand, last four digits and auth
code are derived from the reference (a refund shows the card of the sale it refunds), so the
same sale always shows the same card.
"""
import base64
import hashlib
import threading
import time

from . import PaymentTerminal, approval_message

OUTCOMES = ("approve", "decline", "timeout", "error")
AMOUNT_RULE = {1: "decline", 2: "timeout", 3: "error"}  # amount % 100 -> outcome
BRANDS = ("VISA", "MASTERCARD", "MAESTRO", "AMEX")


def _digest(text):
    return hashlib.sha256(text.encode()).digest()


class SimulatedTerminal(PaymentTerminal):
    def __init__(self, *, timeout_s=2.0):
        if isinstance(timeout_s, bool) or not isinstance(timeout_s, int | float) or timeout_s < 0:
            raise ValueError(f"payment option timeout_s must be a number >= 0, not {timeout_s!r}")
        self.timeout_s = timeout_s
        self._next = None
        self._lock = threading.Lock()

    def next_outcome(self, outcome):
        """Force the outcome of the next charge or refund (one of ``OUTCOMES``)."""
        if outcome not in OUTCOMES:
            raise ValueError(f"payment outcome must be one of {', '.join(OUTCOMES)}: {outcome!r}")
        with self._lock:
            self._next = outcome

    def _process(self, request):
        with self._lock:
            outcome, self._next = self._next, None
        outcome = outcome or AMOUNT_RULE.get(request.amount % 100, "approve")
        digest = _digest(request.original_reference or request.reference)  # refund: sale's card
        card = {
            "card_brand": BRANDS[digest[0] % len(BRANDS)],
            "last4": f"{int.from_bytes(digest[1:3], 'big') % 10000:04d}",
        }
        if outcome == "approve":
            auth_code = base64.b32encode(_digest(request.reference)).decode()[:6]
            message = approval_message(card["card_brand"], card["last4"], auth_code)
            return request.result("approved", message, auth_code=auth_code, **card)
        if outcome == "decline":
            return request.result("declined", "Declined by the card issuer", **card)
        if outcome == "error":
            return request.result("error", "Card terminal error (simulated)")
        wait_s = min(self.timeout_s, request.timeout_s)
        time.sleep(wait_s)
        return request.result("timeout", f"No answer from the card terminal in {wait_s:g} s")
