"""The pricing engine run interpreted, from the same source files Cython compiles.

Importing ``shared.pricing.kernel`` picks the compiled extension when it is built. Here we
load the ``.py`` sources explicitly under a private package name, so both forms can live
in one process (the benchmark and the equivalence tests need exactly that).
"""
import importlib.util
import sys
import types
from pathlib import Path

from .errors import PricingError

# The Cython-compiled modules, in import order; setup.py compiles the same list.
INTERPRETED_MODULES = ("request", "kernel")
_PACKAGE = __name__ + "_modules"


def _load_sources():
    package = types.ModuleType(_PACKAGE)
    package.__path__ = []
    sys.modules[_PACKAGE] = package
    here = Path(__file__).parent
    for name in INTERPRETED_MODULES:
        spec = importlib.util.spec_from_file_location(f"{_PACKAGE}.{name}", here / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
        setattr(package, name, module)
    return package.kernel


_kernel = _load_sources()
Engine = _kernel.Engine
price_basket = _kernel.price_basket
COMPILED: bool = _kernel.COMPILED

__all__ = ["COMPILED", "Engine", "PricingError", "price_basket"]
