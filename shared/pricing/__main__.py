"""Command line: ``python -m shared.pricing [--pure] [--pretty] < request.json``.

Reads one request (a JSON object) or a batch (a JSON array of requests) on stdin and
writes the result, or the array of results, as JSON on stdout. A bad request yields
``{"error": "<message>"}`` in its place and exit status 2; bad input never gives a
traceback.
"""
import argparse
import json
import sys

from .errors import PricingError


def _price_one(price_basket, request):
    try:
        return price_basket(request), True
    except PricingError as exc:
        return {"error": str(exc)}, False


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m shared.pricing", description=__doc__)
    parser.add_argument("--pure", action="store_true", help="run the interpreted engine")
    parser.add_argument("--pretty", action="store_true", help="indent the JSON output")
    args = parser.parse_args(argv)
    if args.pure:
        from .pure import price_basket
    else:
        from . import price_basket

    try:
        data = json.loads(sys.stdin.buffer.read())
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        output, ok = {"error": f"request is not valid JSON: {exc}"}, False
    else:
        if isinstance(data, list):
            pairs = [_price_one(price_basket, request) for request in data]
            output, ok = [result for result, _ in pairs], all(good for _, good in pairs)
        else:
            output, ok = _price_one(price_basket, data)
    json.dump(output, sys.stdout, indent=2 if args.pretty else None)
    sys.stdout.write("\n")
    return 0 if ok else 2


if __name__ == "__main__":
    sys.exit(main())
