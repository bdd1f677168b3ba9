"""The hub's commands: ``python -m hub ingest --db hub.sqlite3 [--port 1883] ...`` runs an
ingest worker; ``python -m hub certs --out DIR --host NAME`` makes the TLS certificates;
``python -m hub fleet --db hub.sqlite3`` lists the tills, what they run and their open
alerts (JSON); ``python -m hub web`` serves the admin app and ``python -m hub user`` adds
a user to it; ``python -m hub products import|export`` reads or writes the products CSV.

The broker password comes from ``--password`` or the environment (TILLY_HUB_PASSWORD), so
it need not show in the process list. Each worker has its own ``--worker`` name (its MQTT
session); until the end-to-end acknowledgement lands, run one (docs/protocol.md).
"""
import argparse
import getpass
import json
import logging
import os
import signal
import sys
import threading
from pathlib import Path

import waitress

from .accounts import ROLES, AccountError, create_user
from .app import create_app
from .certs import make_certificates
from .fleet import fleet
from .ingest import Ingest
from .models import open_database
from .products import CsvFileError, export_products, import_products


def products_csv(action, path):
    """Import (all or nothing, every bad row reported) or export the catalog's products."""
    if action == "export":
        text = export_products()
        sys.stdout.write(text) if path == "-" else Path(path).write_text(text)
        return 0
    try:
        data = sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
        report = import_products(data, "system")
    except (OSError, CsvFileError) as exc:
        print(f"cannot import {path}: {exc}", file=sys.stderr)
        return 2
    for row, column, message in report.errors:
        print(f"row {row}{f' {column}' if column else ''}: {message}", file=sys.stderr)
    if not report.ok:
        print(f"{report.error_count} errors in {report.rows} rows: nothing imported",
              file=sys.stderr)
        return 2
    print(f"{report.rows} rows: {report.created} products created, {report.updated} updated")
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m hub", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    ingest = commands.add_parser("ingest", help="apply the tills' messages to the hub's store")
    ingest.add_argument("--db", required=True, help="the hub's SQLite file")
    ingest.add_argument("--host", default="127.0.0.1")
    ingest.add_argument("--port", type=int, default=1883)
    ingest.add_argument("--username", default="hub")
    ingest.add_argument("--password", default=os.environ.get("TILLY_HUB_PASSWORD"))
    ingest.add_argument("--worker", default="1", help="this worker's name (its MQTT session)")
    certs = commands.add_parser("certs", help="a shop CA and the broker's TLS certificate")
    certs.add_argument("--out", required=True, help="directory for ca.crt, server.crt, keys")
    certs.add_argument("--host", action="append", required=True,
                       help="the broker's name or address as tills reach it (repeatable)")
    fleet_list = commands.add_parser("fleet", help="the tills and their open alerts, as JSON")
    fleet_list.add_argument("--db", required=True, help="the hub's SQLite file")
    web = commands.add_parser("web", help="the admin web app (waitress)")
    web.add_argument("--db", required=True, help="the hub's SQLite file")
    web.add_argument("--host", default="127.0.0.1")
    web.add_argument("--port", type=int, default=8800)
    user = commands.add_parser("user", help="add a user of the admin app")
    user.add_argument("--db", required=True, help="the hub's SQLite file")
    user.add_argument("--username", required=True)
    user.add_argument("--name", required=True)
    user.add_argument("--role", required=True, choices=sorted(ROLES))
    user.add_argument("--password", default=os.environ.get("TILLY_USER_PASSWORD"),
                      help="default: asked for, or TILLY_USER_PASSWORD")
    products = commands.add_parser("products", help="import or export the products CSV")
    products.add_argument("action", choices=["import", "export"])
    products.add_argument("--db", required=True, help="the hub's SQLite file")
    products.add_argument("--file", required=True, help="the CSV file (- for stdin/stdout)")
    args = parser.parse_args(argv)
    if args.command == "products":
        open_database(args.db)
        return products_csv(args.action, args.file)
    if args.command == "web":
        print(f"hub admin app: http://{args.host}:{args.port}/", flush=True)
        waitress.serve(create_app({"database": args.db}), host=args.host, port=args.port,
                       threads=8)
        return 0
    if args.command == "user":
        open_database(args.db)
        try:
            create_user("system", args.username, args.name, args.role,
                        args.password or getpass.getpass("password: "))
        except AccountError as exc:
            print(f"cannot add the user: {exc}", file=sys.stderr)
            return 2
        print(f"user {args.username} added ({ROLES[args.role]})")
        return 0
    if args.command == "fleet":
        open_database(args.db)
        print(json.dumps(fleet(), indent=2))
        return 0
    if args.command == "certs":
        out = make_certificates(args.out, args.host)
        print(f"written: {out}/ca.crt (give to tills), server.crt and server.key (broker)")
        return 0
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    worker = Ingest(open_database(args.db), {"host": args.host, "port": args.port,
                                             "username": args.username,
                                             "password": args.password}, args.worker)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    worker.start()
    print(f"hub ingest worker {args.worker}: {args.host}:{args.port} -> {args.db}", flush=True)
    stop.wait()
    worker.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
