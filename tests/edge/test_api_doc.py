"""docs/api/till.yaml documents every route of the till's API, and no route that is gone."""
import re
from pathlib import Path

import yaml

DOC = Path(__file__).resolve().parents[2] / "docs" / "api" / "till.yaml"


def test_every_api_route_is_documented(app):
    documented = {(path, method.upper())
                  for path, item in yaml.safe_load(DOC.read_text())["paths"].items()
                  for method in item if method != "parameters"}
    served = {(re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule), method)
              for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/")
              for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert served == documented
