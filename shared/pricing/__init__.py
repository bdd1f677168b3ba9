"""The pricing and tax engine: best-deal promotions, taxes and totals for a basket.

The contract is ``docs/pricing.md``. The engine's hot code lives in ``request.py`` and
``kernel.py``, written in Cython's pure-Python mode: ``make build`` compiles them, and
this package then uses the compiled modules (``COMPILED`` is true). ``shared.pricing.pure``
runs the very same source files interpreted, for checking and for comparison.
"""
from . import kernel as _kernel
from .errors import PricingError

Engine = _kernel.Engine
price_basket = _kernel.price_basket
# The contract's split of an amount in proportion to weights (largest remainder, ties to
# the earlier position); refunds split a sale's taxes over its lines the same way.
largest_remainder = _kernel.largest_remainder
COMPILED: bool = _kernel.COMPILED

__all__ = ["COMPILED", "Engine", "PricingError", "largest_remainder", "price_basket"]
