"""A hard time limit on each engine call in the randomized tests.

The compiled engine runs in C: a request that sends it into an endless search cannot be
interrupted by signals or by hypothesis' deadline, and the run would hang. `guarded()`
saves the request being priced to tests/artifacts/pricing-request-in-progress.json and
arms faulthandler: if one call takes longer than LIMIT_SECONDS, the Python tracebacks are
written (to the terminal when conftest.py could reach it, else to
tests/artifacts/pricing-hang-traceback.txt) and the test process exits with status 1.
After such an abort, the request that hung is in the JSON file. Under pytest-xdist each
worker has its own two files, named with the worker's id (…-gw0.json).
"""
import faulthandler
import json
import os
from pathlib import Path

LIMIT_SECONDS = 30
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
# One file each per pytest-xdist worker ("-gw0"...), so that workers never write each other's.
_WORKER = f"-{os.environ['PYTEST_XDIST_WORKER']}" if "PYTEST_XDIST_WORKER" in os.environ else ""
REQUEST_FILE = ARTIFACTS / f"pricing-request-in-progress{_WORKER}.json"
TRACEBACK_FILE = ARTIFACTS / f"pricing-hang-traceback{_WORKER}.txt"

_report = None  # a file object faulthandler writes to


def report_to(file):
    """Send hang reports to `file` (an open file object) instead of the artifact file."""
    global _report
    _report = file


def guarded(price, request):
    """price(request), aborting the whole run (with the request saved) if it hangs."""
    global _report
    ARTIFACTS.mkdir(exist_ok=True)
    if _report is None:
        _report = open(TRACEBACK_FILE, "w")  # noqa: SIM115 - kept open for faulthandler
    REQUEST_FILE.write_text(json.dumps(request, default=repr), encoding="utf-8")
    faulthandler.dump_traceback_later(LIMIT_SECONDS, exit=True, file=_report)
    try:
        return price(request)
    finally:
        faulthandler.cancel_dump_traceback_later()
