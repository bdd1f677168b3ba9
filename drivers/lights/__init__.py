"""Status lights on the till: one glance tells the cashier (and the supervisor across the
shop) whether the till is ready, busy, needs attention, has failed or has lost the hub.

| state     | light          | meaning                                          |
|-----------|----------------|--------------------------------------------------|
| ready     | green          | selling                                          |
| busy      | amber          | working (payment on the terminal, printing)      |
| attention | amber, fast    | drawer open, supervisor needed                   |
| error     | red            | a device or the till has failed                  |
| offline   | green, slow    | selling, but no link to the hub                  |
"""
from abc import ABC, abstractmethod
from typing import NamedTuple

from drivers.backends import build

# backend name -> class name in drivers/lights/<backend>.py
BACKENDS = {"gpio": "GpioLights", "simulated": "SimulatedLights"}


class Pattern(NamedTuple):
    colour: str  # "green", "amber" or "red"
    blink_s: float  # half period of the blink; 0 = steady


PATTERNS = {
    "ready": Pattern("green", 0),
    "busy": Pattern("amber", 0),
    "attention": Pattern("amber", 0.25),
    "error": Pattern("red", 0),
    "offline": Pattern("green", 1.0),
}
STATES = tuple(PATTERNS)


class StatusLights(ABC):
    """The till's status lights; ``state`` is the last state shown (None: all off)."""

    state = None

    def show(self, state):
        """Light the pattern of ``state``, one of ``STATES``."""
        if state not in PATTERNS:
            raise ValueError(f"lights: unknown state {state!r} (one of {', '.join(STATES)})")
        self._light(PATTERNS[state])
        self.state = state

    @abstractmethod
    def _light(self, pattern):
        """Switch to ``pattern``, stopping any earlier blink."""

    @abstractmethod
    def close(self):
        """Switch off and release the pins."""

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()


def create(settings, pin_factory=None):
    """The lights named by ``settings["backend"]`` built from the other options;
    ``pin_factory`` is a gpiozero pin factory (tests pass ``MockFactory``)."""
    return build("lights", __name__, BACKENDS, settings, {"pin_factory": pin_factory})
