"""What the till refuses, and how: one error type the API turns into a JSON answer."""


class TillError(Exception):
    """A refusal the cashier sees: a clear message, an HTTP status, optional details."""

    def __init__(self, message, status=400, **details):
        super().__init__(message)
        self.message = message
        self.status = status
        self.details = details


def is_count(value, maximum, minimum=1):
    """A whole number (not a bool, not a float) within bounds."""
    return type(value) is int and minimum <= value <= maximum
