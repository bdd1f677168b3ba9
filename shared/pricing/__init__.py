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
COMPILED: bool = _kernel.COMPILED

__all__ = ["COMPILED", "Engine", "PricingError", "price_basket"]
