"""Card payment terminal: the till asks it to charge or refund an amount and shows the
cashier the result.

``charge`` and ``refund`` never raise for a problem on the terminal's side (unreachable,
busy, no answer): they return a ``PaymentResult`` whose status is "error" or "timeout" and
whose message says what happened. They raise ValueError only for the till's own bad input.
After a "timeout" the payment's fate is unknown: the cashier checks the terminal.
"""
import re
from abc import ABC, abstractmethod
from dataclasses import dataclass

from drivers.backends import build

# backend name -> class name in drivers/payment/<backend>.py
BACKENDS = {"nexo": "NexoTerminal", "simulated": "SimulatedTerminal"}
STATUSES = ("approved", "declined", "timeout", "error")
MAX_AMOUNT = 10**15 - 1  # minor units; no terminal takes more, and it stays exact in JSON


@dataclass(frozen=True)
class PaymentResult:
    status: str  # one of STATUSES
    amount: int  # minor units
    reference: str  # the till's reference for this charge or refund
    auth_code: str | None = None
    card_brand: str | None = None
    last4: str | None = None
    message: str = ""  # for the cashier

    @property
    def approved(self):
        return self.status == "approved"


def approval_message(card_brand, last4, auth_code):
    """What the cashier reads, e.g. "Approved VISA ending 4242 (auth 6HZQ2A)"."""
    details = (card_brand, last4 and f"ending {last4}", auth_code and f"(auth {auth_code})")
    return " ".join(["Approved", *filter(None, details)])


@dataclass(frozen=True)
class PaymentRequest:
    """One charge or refund, checked on creation; what a backend receives."""

    kind: str  # "charge" or "refund"
    amount: int
    currency: str
    reference: str
    timeout_s: float
    original_reference: str | None = None  # the refunded sale's reference

    def __post_init__(self):
        amount, currency, timeout_s = self.amount, self.currency, self.timeout_s
        if type(amount) is not int or not 0 < amount <= MAX_AMOUNT:
            raise ValueError(f"payment amount must be an int of minor units > 0, not {amount!r}")
        if not isinstance(currency, str) or not re.fullmatch(r"[A-Z]{3}", currency):
            raise ValueError(f"payment currency must be an ISO 4217 code, not {currency!r}")
        texts = {"reference": self.reference}
        if self.kind == "refund":
            texts["original_reference"] = self.original_reference
        for name, value in texts.items():
            if not isinstance(value, str) or not value.strip():
                raise ValueError(f"payment {name} must be a non-empty string, not {value!r}")
        if isinstance(timeout_s, bool) or not isinstance(timeout_s, int | float) or timeout_s <= 0:
            raise ValueError(f"payment timeout_s must be a positive number, not {timeout_s!r}")

    def result(self, status, message, **card):
        """The ``PaymentResult`` of this request; ``card``: auth_code, card_brand, last4."""
        return PaymentResult(status, self.amount, self.reference, message=message, **card)


class PaymentTerminal(ABC):
    def charge(self, amount, currency, reference, timeout_s=60):
        """Charge ``amount`` minor units of ``currency`` (ISO 4217, e.g. "EUR") to a card."""
        return self._process(PaymentRequest("charge", amount, currency, reference, timeout_s))

    def refund(self, amount, currency, reference, original_reference, timeout_s=60):
        """Refund ``amount`` of the sale ``original_reference`` to a card."""
        return self._process(
            PaymentRequest("refund", amount, currency, reference, timeout_s, original_reference)
        )

    @abstractmethod
    def _process(self, request):
        """The terminal's ``PaymentResult`` for a checked ``PaymentRequest``."""


def create(settings):
    """The terminal named by ``settings["backend"]`` built from the other options."""
    return build("payment", __name__, BACKENDS, settings)
