"""docs/api/till.yaml documents every route of the till's API, and no route that is gone."""
from pathlib import Path

from tests.api_doc import documented, served

DOC = Path(__file__).resolve().parents[2] / "docs" / "api" / "till.yaml"


def test_every_api_route_is_documented(app):
    assert served(app) == documented(DOC)
