"""An OpenAPI document's routes and a Flask app's, to check that each documents the other."""
import re

import yaml


def documented(path):
    """(path, METHOD) of every operation in the OpenAPI document at ``path``."""
    return {(route, method.upper())
            for route, item in yaml.safe_load(path.read_text())["paths"].items()
            for method in item if method != "parameters"}


def served(app, prefix="/api/"):
    """(path, METHOD) of every route of ``app`` under ``prefix``, in OpenAPI's form."""
    return {(re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule), method)
            for rule in app.url_map.iter_rules() if rule.rule.startswith(prefix)
            for method in rule.methods - {"HEAD", "OPTIONS"}}
