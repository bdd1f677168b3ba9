"""The one error type of the pricing engine, shared by its compiled and interpreted forms."""


class PricingError(ValueError):
    """A request the engine must refuse; the message names the offending field."""
