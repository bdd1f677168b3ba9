"""Benchmark of the pricing engine: the compiled build against the same code interpreted.

The till prices the basket on every scan, so what counts is the time of `Engine.price` on
realistic baskets; Engines are built beforehand, one per store configuration, as the till
does. The interpreted run doubles as a check: both forms must give identical results.

    .venv/bin/python bench/pricing.py [--workload FILE] [--seed 1] [--baskets 500] [--repeat 3]
"""
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import argparse  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import time  # noqa: E402

from bench.report import publish, target_lines  # noqa: E402
from bench.workload import generate, store_wide  # noqa: E402
from shared import pricing  # noqa: E402
from shared.pricing import pure  # noqa: E402

CONFIG_KEYS = ("tax_mode", "tax_rounding", "rounding", "cash_increment", "tax_classes",
               "promotions")
OUT = ROOT / "bench" / "out" / "pricing.json"


def split(request):
    """A request's store configuration (what an Engine takes) and its basket."""
    config = {key: value for key, value in request.items() if key in CONFIG_KEYS}
    basket = {key: value for key, value in request.items() if key not in CONFIG_KEYS}
    return config, basket


def describe(requests, configs):
    """Size of the workload, so figures from different workloads are not mixed up."""
    sizes = [len(request["lines"]) for request in requests]
    units = sum(line.get("qty", 1) for request in requests for line in request["lines"])
    return {"baskets": len(requests), "lines_min": min(sizes), "lines_max": max(sizes),
            "lines_mean": round(sum(sizes) / len(sizes), 1), "units": units,
            "configs": configs}


def timed(engine, basket, repeat):
    """Best of `repeat` runs of engine.price, in ns (the minimum filters out noise)."""
    best = math.inf
    for _ in range(repeat):
        start = time.perf_counter_ns()
        result = engine.price(basket)
        best = min(best, time.perf_counter_ns() - start)
    return best, result


def percentile(values, p):
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def summary(times_ns):
    """p50, p99 and mean per basket, in µs."""
    return {"p50_us": round(percentile(times_ns, 50) / 1000, 1),
            "p99_us": round(percentile(times_ns, 99) / 1000, 1),
            "mean_us": round(sum(times_ns) / len(times_ns) / 1000, 1)}


def floor_ns(jobs, repeat):
    """Compiled time of the same baskets with no promotions: validation, per-line work and
    the result document, which any compiled core pays. Bounds the achievable speedup."""
    engines = {}
    total = 0
    for _, _, basket, config in jobs:
        key = json.dumps(config, sort_keys=True)
        if key not in engines:
            engines[key] = pricing.Engine({**config, "promotions": []})
        total += timed(engines[key], basket, repeat)[0]
    return total


def flatten(result):
    """A result's values as tuples, the input of document_floor.build_document."""
    return ([(line["line"], line["sku"], line["qty"], line["weight_g"], line["unit_price"],
              line["base"], [(d["promotion"], d["amount"]) for d in line["discounts"]],
              line["net"], [(t["id"], t["amount"]) for t in line["taxes"]])
             for line in result["lines"]],
            [(a["promotion"], a["times"], a["discount"]) for a in result["applied"]],
            [(t["id"], t["amount"]) for t in result["taxes"]],
            tuple(result[key] for key in ("subtotal", "item_discount", "basket_discount",
                                          "basket_promotion", "tax_total", "total",
                                          "cash_total", "optimal")))


def document_floor_ns(jobs, results, repeat):
    """Compiled time of only reading each basket and building its result document (no
    pricing): what the contract's dict interface costs any compiled engine."""
    import pyximport
    pyximport.install(build_dir=str(OUT.parent / "pyxbld"), language_level=3)
    from bench import document_floor

    total = 0
    for (_, _, basket, _), result in zip(jobs, results, strict=True):
        flat = flatten(result)
        best = math.inf
        for _ in range(repeat):
            start = time.perf_counter_ns()
            document_floor.read_fields(basket)
            document_floor.build_document(flat)
            best = min(best, time.perf_counter_ns() - start)
        total += best
    return total


def worst_cases(repeat):
    """Hostile baskets (bench/workload.py store_wide): time of the compiled engine."""
    lines = []
    for count, qty in ((20, 2), (100, 4), (1000, 1)):
        request = store_wide(count, qty)
        config, basket = split(request)
        elapsed, result = timed(pricing.Engine(config), basket, repeat)
        lines.append(f"worst case: store_wide({count} lines x {qty}): {elapsed / 1e6:.1f} ms, "
                     f"optimal {str(result['optimal']).lower()}")
    return lines


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workload", type=Path, help="JSON array of requests to measure")
    parser.add_argument("--seed", type=int, default=1, help="seed of the generated workload")
    parser.add_argument("--baskets", type=int, default=500, help="baskets to generate")
    parser.add_argument("--repeat", type=int, default=3, help="runs per basket, best kept")
    args = parser.parse_args()

    if not pricing.COMPILED:
        sys.exit("shared.pricing is not compiled (COMPILED is False): run `make build` first; "
                 "this benchmark measures the compiled engine.")

    if args.workload:
        requests = json.loads(args.workload.read_text())
        source = str(args.workload)
    else:
        requests = generate(args.seed, args.baskets)
        source = f"bench/workload.py --seed {args.seed} --baskets {args.baskets}"

    engines = {}
    jobs = []
    for number, request in enumerate(requests, 1):
        config, basket = split(request)
        key = json.dumps(config, sort_keys=True)
        if key not in engines:
            try:
                engines[key] = pricing.Engine(config), pure.Engine(config)
            except pricing.PricingError as exc:
                sys.exit(f"basket {number}: store configuration refused: {exc}")
        jobs.append((number, engines[key], basket, config))

    compiled_ns, pure_ns, results, optimal = [], [], [], 0
    for number, (compiled_engine, pure_engine), basket, _ in jobs:
        try:
            compiled_time, compiled_result = timed(compiled_engine, basket, args.repeat)
            pure_time, pure_result = timed(pure_engine, basket, args.repeat)
        except pricing.PricingError as exc:
            sys.exit(f"basket {number}: engine refused the request: {exc}")
        if json.dumps(compiled_result) != json.dumps(pure_result):
            sys.exit(f"basket {number}: compiled and pure results differ")
        compiled_ns.append(compiled_time)
        pure_ns.append(pure_time)
        results.append(compiled_result)
        optimal += compiled_result["optimal"] is True

    compiled, interpreted = summary(compiled_ns), summary(pure_ns)
    speedup = sum(pure_ns) / sum(compiled_ns)
    ceiling = sum(pure_ns) / floor_ns(jobs, args.repeat)
    bound = sum(pure_ns) / document_floor_ns(jobs, results, args.repeat)
    report = {
        "workload": {"source": source, "repeat": args.repeat,
                     **describe(requests, len(engines))},
        "compiled": compiled,
        "pure": interpreted,
        "speedup": round(speedup, 1),
        "speedup_ceiling": round(ceiling, 1),
        "speedup_bound": round(bound, 1),
        "optimal": {"count": optimal, "baskets": len(jobs)},
        "targets": {
            "speedup >= 30x": speedup >= 30,
            "p50 < 100 µs": percentile(compiled_ns, 50) < 100_000,
            "p99 < 1000 µs": percentile(compiled_ns, 99) < 1_000_000,
            "100% optimal": optimal == len(jobs),
        },
    }

    w = report["workload"]
    lines = [
        f"workload: {w['source']}, best of {w['repeat']} runs per basket",
        f"workload: {w['baskets']} baskets, lines min {w['lines_min']} mean {w['lines_mean']} "
        f"max {w['lines_max']}, {w['units']} units, {w['configs']} distinct configs",
        *(f"{name}: p50 {s['p50_us']} µs, p99 {s['p99_us']} µs, mean {s['mean_us']} µs "
          "per basket" for name, s in (("compiled", compiled), ("pure", interpreted))),
        f"speedup (pure / compiled, total time): {speedup:.1f}x",
        f"speedup ceiling (pure / compiled with no promotions): {ceiling:.1f}x",
        f"speedup bound (pure / compiled reading of the baskets and building of results "
        f"alone, no pricing): {bound:.1f}x",
        f"optimal: {optimal}/{len(jobs)} ({100 * optimal / len(jobs):.1f}%)",
        *target_lines(report["targets"]),
    ]
    lines += worst_cases(args.repeat)
    publish(report, lines, OUT)


if __name__ == "__main__":
    main()
