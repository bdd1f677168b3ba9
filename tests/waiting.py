"""Waiting for what another process or thread does (a broker, a till, an ingest worker)."""
import time


def wait_for(condition, timeout=15):
    """Poll ``condition`` until it holds; fail the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)
