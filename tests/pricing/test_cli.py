"""The command line, `python -m shared.pricing [--pure]`: JSON in on stdin, JSON out."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

import shared.pricing as compiled
from shared.pricing import pure

REPO_ROOT = Path(__file__).resolve().parents[2]
VECTORS = json.loads((REPO_ROOT / "tests" / "data" / "pricing-vectors.json").read_text("utf-8"))
GOOD = [v for v in VECTORS if "expect" in v]
BAD = [v for v in VECTORS if v.get("error")]
BEST_DEAL = next(v for v in GOOD if v["name"] == "best deal beats first-come")

FLAGS = {"compiled": [], "pure": ["--pure"]}
ENGINES = {"compiled": compiled, "pure": pure}
modes = pytest.mark.parametrize("mode", list(FLAGS))


def run_cli(mode, stdin):
    """Run the CLI from the repo root; return (exit status, parsed stdout)."""
    if isinstance(stdin, str):
        stdin = stdin.encode("utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "shared.pricing", *FLAGS[mode]],
        input=stdin, capture_output=True, cwd=REPO_ROOT, timeout=120,
    )
    stderr = proc.stderr.decode("utf-8", "replace")
    assert "Traceback" not in stderr, stderr
    return proc.returncode, json.loads(proc.stdout)


def assert_error(item):
    assert isinstance(item, dict) and set(item) == {"error"}, item
    assert isinstance(item["error"], str) and item["error"]


@modes
def test_single_request(mode):
    """One request (a JSON object) gives its result, as price_basket does, exit 0."""
    request = BEST_DEAL["request"]
    status, output = run_cli(mode, json.dumps(request))
    assert status == 0
    assert output == ENGINES[mode].price_basket(request) == BEST_DEAL["expect"]


@modes
def test_batch(mode):
    """A JSON array of requests gives the array of their results, in order, exit 0."""
    status, output = run_cli(mode, json.dumps([v["request"] for v in GOOD]))
    assert status == 0
    assert output == [v["expect"] for v in GOOD]


@modes
def test_batch_with_bad_requests(mode):
    """A bad request yields {"error": ...} in its place, the others are priced, exit 2."""
    batch = [GOOD[0]["request"], BAD[0]["request"], GOOD[1]["request"], 42,
             BAD[-1]["request"]]
    status, output = run_cli(mode, json.dumps(batch))
    assert status == 2
    assert len(output) == len(batch)
    assert output[0] == GOOD[0]["expect"]
    assert output[2] == GOOD[1]["expect"]
    for index in (1, 3, 4):
        assert_error(output[index])


@modes
def test_single_bad_request(mode):
    """A lone bad request gives {"error": message} with the library's message, exit 2."""
    request = BAD[0]["request"]
    status, output = run_cli(mode, json.dumps(request))
    assert status == 2
    assert_error(output)
    with pytest.raises(ENGINES[mode].PricingError) as info:
        ENGINES[mode].price_basket(request)
    assert output["error"] == str(info.value)


@modes
@pytest.mark.parametrize("text", [b"{not json", b"", b"[1, 2", b"\xff\xfe{}", b"[" * 100_000],
                         ids=["garbage", "empty", "truncated", "not-utf8", "deeply-nested"])
def test_invalid_json(mode, text):
    """Text that is not JSON gives {"error": ...} and exit 2, never a traceback."""
    status, output = run_cli(mode, text)
    assert status == 2
    assert_error(output)


@modes
def test_empty_batch(mode):
    """An empty batch is an empty array of results, exit 0."""
    assert run_cli(mode, "[]") == (0, [])
