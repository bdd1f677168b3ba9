"""Receipt printer on the network (raw TCP, usually port 9100), through python-escpos."""
from . import EscposPrinter, Options


class NetworkPrinter(EscposPrinter):
    """An Ethernet or Wi-Fi ESC/POS printer; `timeout` bounds connecting and status replies."""

    def __init__(self, host: str, port: int = 9100, timeout: float = 5.0, **common) -> None:
        super().__init__(**common)
        self.host = host
        self.port = port
        self.timeout = timeout
        self.name = f"network printer {host}:{port}"

    def _connect(self):
        from escpos.printer import Network

        return Network(self.host, self.port, timeout=self.timeout, profile=self.profile)


def create(options: Options) -> NetworkPrinter:
    return NetworkPrinter(options.text("host"), options.integer("port", 9100, 1, 65535),
                          options.number("timeout", 5.0, 0.05, 120), **options.common())
