"""Hub tests reuse the till's fixtures when a real till takes part (end to end)."""
from tests.edge.conftest import (  # noqa: F401 (fixtures)
    api,
    app,
    cashier,
    chromium,
    signed_in,
    store_file,
    till_config,
)
