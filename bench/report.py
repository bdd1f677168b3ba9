"""How every benchmark ends: its lines printed, with a PASS/FAIL line per target, and the
whole report kept as JSON in bench/out/ for comparison between runs."""
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def target_lines(targets):
    return [f"target {name}: {'PASS' if ok else 'FAIL'}" for name, ok in targets.items()]


def publish(report, lines, out):
    report["lines"] = lines
    print("\n".join(lines))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(f"written to {out.relative_to(ROOT)}")
