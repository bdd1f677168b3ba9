"""The hub's commands for its admin app and catalog:

- ``web --db HUB [--host --port]``: serves the admin app (waitress);
- ``user --db HUB --username U --name N --role R``: adds a user of the admin app (the
  password is asked for, or comes from TILLY_USER_PASSWORD);
- ``fleet --db HUB``: the tills, what they run and their open alerts, as JSON;
- ``products import|export --db HUB --file F``: the products CSV (``-``: stdin/stdout);
  an import with any bad row imports nothing and lists every one;
- ``stock checkpoint --db HUB``: moves every store's stock checkpoint up to its newest
  movement (``hub/stock_checkpoints.py``); the catalog server does it hourly too.
"""
import getpass
import json
import os
import sys
from pathlib import Path

import waitress

from . import stock_checkpoints
from .accounts import ROLES, AccountError, create_user
from .app import create_app
from .fleet import fleet
from .models import open_database
from .products import CsvFileError, export_products, import_products

COMMANDS = ("web", "user", "fleet", "products", "stock")


def add_commands(commands):
    web = commands.add_parser("web", help="the admin web app (waitress)")
    web.add_argument("--host", default="127.0.0.1")
    web.add_argument("--port", type=int, default=8800)
    user = commands.add_parser("user", help="add a user of the admin app")
    user.add_argument("--username", required=True)
    user.add_argument("--name", required=True)
    user.add_argument("--role", required=True, choices=sorted(ROLES))
    user.add_argument("--password", default=os.environ.get("TILLY_USER_PASSWORD"),
                      help="default: asked for, or TILLY_USER_PASSWORD")
    fleet_list = commands.add_parser("fleet", help="the tills and their open alerts, as JSON")
    products = commands.add_parser("products", help="import or export the products CSV")
    products.add_argument("action", choices=["import", "export"])
    products.add_argument("--file", required=True, help="the CSV file (- for stdin/stdout)")
    stock = commands.add_parser("stock", help="the stock ledger's upkeep")
    stock.add_argument("action", choices=["checkpoint"],
                       help="move every store's checkpoint up to its newest movement")
    for command in (web, user, fleet_list, products, stock):
        command.add_argument("--db", required=True,
                             help="the hub's database: a SQLite path or a database URL")


def run(args):
    """Runs one of COMMANDS; an exit status."""
    if args.command == "web":
        print(f"hub admin app: http://{args.host}:{args.port}/", flush=True)
        waitress.serve(create_app({"database": args.db}), host=args.host, port=args.port,
                       threads=8)
        return 0
    open_database(args.db)
    if args.command == "user":
        return _add_user(args)
    if args.command == "fleet":
        print(json.dumps(fleet(), indent=2))
        return 0
    if args.command == "stock":
        for store, added in stock_checkpoints.refresh_all().items():
            print(f"{store}: {'busy, not moved' if added is None else f'{added} movements'}")
        return 0
    return _products(args.action, args.file)


def _add_user(args):
    try:
        create_user("system", args.username, args.name, args.role,
                    args.password or getpass.getpass("password: "))
    except AccountError as exc:
        print(f"cannot add the user: {exc}", file=sys.stderr)
        return 2
    print(f"user {args.username} added ({ROLES[args.role]})")
    return 0


def _products(action, path):
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
