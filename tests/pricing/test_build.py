"""The compiled build is really in use, and the interpreted form covers the same modules."""
import ast
import importlib
import importlib.machinery
import re
from pathlib import Path

import shared.pricing as compiled
from shared.pricing import pure

REPO_ROOT = Path(__file__).resolve().parents[2]


def compiled_sources():
    """COMPILED_SOURCES from setup.py, read from its text (setup.py is not importable)."""
    tree = ast.parse((REPO_ROOT / "setup.py").read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == "COMPILED_SOURCES"
            for target in node.targets
        ):
            return ast.literal_eval(node.value)
    raise AssertionError("setup.py defines no COMPILED_SOURCES")


def test_compiled_extension_in_use():
    """shared.pricing uses the Cython extension: COMPILED is False when the build silently
    failed or was skipped (run `make build`)."""
    assert compiled.COMPILED is True


def test_engine_modules_are_extensions():
    """Each module setup.py compiles is imported from its extension, not from the .py."""
    for name in pure.INTERPRETED_MODULES:
        module = importlib.import_module(f"shared.pricing.{name}")
        assert module.__file__.endswith(tuple(importlib.machinery.EXTENSION_SUFFIXES)), (
            module.__file__
        )


def test_pure_is_interpreted():
    """shared.pricing.pure runs the source interpreted."""
    assert pure.COMPILED is False


def test_interpreted_modules_match_setup():
    """pure.INTERPRETED_MODULES names exactly the files setup.py compiles."""
    expected = [f"shared/pricing/{name}.py" for name in pure.INTERPRETED_MODULES]
    assert len(set(expected)) == len(expected)
    assert sorted(compiled_sources()) == sorted(expected)
    for path in expected:
        assert (REPO_ROOT / path).is_file(), path


def test_makefile_rebuilds_the_same_sources():
    """The Makefile's CYTHON_SOURCES (what `make build` depends on) lists the same files."""
    text = (REPO_ROOT / "Makefile").read_text(encoding="utf-8")
    match = re.search(r"^CYTHON_SOURCES\s*:?=(.*)$", text, re.MULTILINE)
    assert match, "Makefile defines no CYTHON_SOURCES"
    expected = [f"shared/pricing/{name}.py" for name in pure.INTERPRETED_MODULES]
    assert sorted(match.group(1).split()) == sorted(expected)
