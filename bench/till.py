"""Benchmark of the till: scan-to-screen latency on a 100-line basket, and memory.

A till (``python -m edge``, simulated hardware, the sample store) runs in its own process
with the kiosk open in headless Chromium. Each measured scan starts in the page: it posts
the code to the simulated scanner, which encodes it to key events and decodes them like
the real one; the till adds it to the sale and re-prices the basket; the kiosk learns of
the change through its long poll, fetches the sale and redraws. The clock stops on the
next animation frame after the basket shows the new quantity. The baseline, measured in
the same page, is one plain API round trip (``GET /api/display``).

    .venv/bin/python bench/till.py [--lines 100] [--scans 200]
"""
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import argparse  # noqa: E402
import json  # noqa: E402
import tempfile  # noqa: E402

from playwright.sync_api import sync_playwright  # noqa: E402

from bench.pricing import percentile  # noqa: E402
from bench.report import publish, target_lines  # noqa: E402
from edge.sample_store import DEFAULT_PATH  # noqa: E402
from tests.edge.browser import TillServer, launch_chromium  # noqa: E402

OUT = ROOT / "bench" / "out" / "till.json"
TARGET_P99_MS = 50
TARGET_RSS_MB = 120

# One scan, timed in the page: from the request to the simulated scanner until the frame
# after the last line shows ``qty``.
SCAN = """async ([code, qty]) => {
  const shows = () => {
    const cells = document.querySelectorAll('[data-test=line] [data-test=line-qty]');
    return cells.length && cells[cells.length - 1].textContent.trim() === `${qty} ×`;
  };
  const start = performance.now();
  const seen = new Promise((resolve) => {
    const observer = new MutationObserver(() => {
      if (shows()) { observer.disconnect(); resolve(); }
    });
    observer.observe(document.body, {subtree: true, childList: true, characterData: true});
  });
  const response = await fetch('/api/sim/scan', {method: 'POST',
    headers: {'Content-Type': 'application/json'}, body: JSON.stringify({code})});
  if (!response.ok) throw new Error(`scan refused: ${await response.text()}`);
  await seen;
  await new Promise((resolve) => requestAnimationFrame(() => resolve()));
  return performance.now() - start;
}"""

ROUND_TRIP = """async () => {
  const start = performance.now();
  await (await fetch('/api/display')).json();
  return performance.now() - start;
}"""

# Sign in, then open the till with an empty float: no sale before a cash session.
SIGN_IN = """async (pin) => {
  const post = async (path, body) => {
    const response = await fetch(path, {method: 'POST',
      headers: {'Content-Type': 'application/json'}, body: JSON.stringify(body)});
    if (!response.ok) throw new Error(await response.text());
  };
  await post('/api/auth/sign-in', {pin});
  await post('/api/session/open', {float: 0});
}"""


def memory_kb(pid):
    """Resident and peak resident memory of a process, from /proc."""
    fields = {}
    for row in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = row.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0])
    return fields["VmRSS"], fields["VmHWM"]


def unit_barcodes(count):
    """Barcodes of ``count`` different products sold by the unit, from the sample store."""
    store = json.loads(DEFAULT_PATH.read_text())
    codes = [product["barcodes"][0] for product in store["products"]
             if product.get("sold_by", "unit") == "unit" and product.get("barcodes")]
    if len(codes) < count:
        sys.exit(f"the sample store has only {len(codes)} products with barcodes")
    return codes[:count]


def summary(values):
    return {"p50_ms": round(percentile(values, 50), 1), "p99_ms": round(percentile(values, 99), 1),
            "max_ms": round(max(values), 1)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=100, help="basket size before measuring")
    parser.add_argument("--scans", type=int, default=200, help="scans measured")
    args = parser.parse_args()
    codes = unit_barcodes(args.lines)

    with tempfile.TemporaryDirectory() as work, \
            TillServer(DEFAULT_PATH, Path(work) / "till") as server, \
            sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page = browser.new_page(viewport={"width": 800, "height": 480})
        page.goto(server.url)
        page.evaluate(SIGN_IN, "1111")
        page.reload()
        for code in codes:  # the basket: one line per product
            server.call("POST", "/api/sim/scan", {"code": code})
        page.wait_for_selector(f"[data-test=line]:nth-child({args.lines})", state="attached")
        warmup = 10
        latencies = []
        for scan in range(warmup + args.scans):
            # The last product again: its line's quantity goes up, the basket stays at
            # ``lines`` lines and is re-priced whole each time.
            elapsed = page.evaluate(SCAN, [codes[-1], scan + 2])
            if scan >= warmup:
                latencies.append(elapsed)
        round_trips = [page.evaluate(ROUND_TRIP) for _ in range(warmup + args.scans)][warmup:]
        rss_kb, peak_kb = memory_kb(server.process.pid)
        browser.close()

    scan_stats, base_stats = summary(latencies), summary(round_trips)
    report = {
        "basket_lines": args.lines, "scans": args.scans,
        "scan_to_screen": scan_stats, "api_round_trip": base_stats,
        "ratio_p50": round(scan_stats["p50_ms"] / base_stats["p50_ms"], 1),
        "rss_mb": round(rss_kb / 1024, 1), "peak_rss_mb": round(peak_kb / 1024, 1),
        "targets": {f"scan-to-screen p99 < {TARGET_P99_MS} ms":
                    scan_stats["p99_ms"] < TARGET_P99_MS,
                    f"till RSS < {TARGET_RSS_MB} MB": peak_kb / 1024 < TARGET_RSS_MB},
    }
    lines = [
        f"till: {args.lines}-line basket, {args.scans} scans through the simulated scanner, "
        "kiosk in headless Chromium at 800x480",
        f"scan-to-screen: p50 {scan_stats['p50_ms']} ms, p99 {scan_stats['p99_ms']} ms, "
        f"max {scan_stats['max_ms']} ms",
        f"baseline API round trip: p50 {base_stats['p50_ms']} ms, p99 {base_stats['p99_ms']} ms"
        f"; scan-to-screen / round trip (p50): {report['ratio_p50']}x",
        f"till process memory: RSS {report['rss_mb']} MB, peak {report['peak_rss_mb']} MB",
        *target_lines(report["targets"]),
    ]
    publish(report, lines, OUT)


if __name__ == "__main__":
    main()
