"""Building a device from its configuration section: the backend named by ``backend``, its
class imported only then (a simulated till needs no hardware library), and every other
option checked against that class's parameters, so a typo is refused by name."""
import importlib
import inspect


def build(device, package, backends, settings, wiring=None):
    """``backends``: backend name -> class name in ``package.<backend>``. ``wiring``: objects
    the till passes (a printer, a pin factory), given to the class if it takes them and
    never settable from the configuration."""
    options = dict(settings)
    wiring = wiring or {}
    backend = options.pop("backend", "simulated")
    if backend not in backends:
        raise ValueError(f"{device}: unknown backend {backend!r} (one of {', '.join(backends)})")
    cls = getattr(importlib.import_module(f"{package}.{backend}"), backends[backend])
    accepted = inspect.signature(cls).parameters
    for name in options:
        if name not in accepted or name in wiring:
            raise ValueError(f"{device}: unknown option {name!r} for backend {backend!r}")
    return cls(**options, **{name: value for name, value in wiring.items() if name in accepted})
