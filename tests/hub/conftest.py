"""Hub tests reuse the till's fixtures when a real till takes part (end to end)."""
from tests.edge.conftest import store_file, till_config  # noqa: F401 (fixtures)
