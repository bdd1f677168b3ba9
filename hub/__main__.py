"""The hub's commands:

- ``ingest --db HUB [--host --port --worker]`` runs an ingest worker (as many as wanted);
- ``catalog publish --db HUB --store S [--file store.json]`` makes a store's next catalog
  version from the hub's catalog (importing the store file first), and ``catalog serve
  --db HUB`` sends the versions to the tills and the scheduled ones (run one);
- ``certs --out DIR --host NAME`` makes the TLS certificates;
- ``web``, ``user``, ``fleet`` and ``products`` serve the admin app, add its users, list the
  fleet and move the products CSV (hub/admin_commands.py);
- ``broker-init``, ``pair``, ``enroll-service`` and ``revoke`` manage the tills' broker
  logins (hub/till_commands.py).

``--db`` is a SQLite path or a PostgreSQL URL. The broker password comes from
``--password`` or the environment (TILLY_HUB_PASSWORD), so it need not show in the
process list. Each ingest worker has its own ``--worker`` name (its MQTT session).
"""
import argparse
import logging
import os
import sys

from .admin_commands import COMMANDS as ADMIN_COMMANDS
from .admin_commands import add_commands as add_admin_commands
from .admin_commands import run as run_admin_command
from .catalog_push import CatalogServer, publish_command
from .certs import make_certificates
from .ingest import Ingest
from .models import open_database
from .running import run_until_stopped
from .till_commands import COMMANDS as TILL_COMMANDS
from .till_commands import add_commands as add_till_commands
from .till_commands import run as run_till_command

DB_HELP = "the hub's store: a SQLite path or postgresql://user@host/name"


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m hub", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    ingest = _broker_client(commands.add_parser(
        "ingest", help="apply the tills' messages to the hub's store"))
    ingest.add_argument("--worker", default="1", help="this worker's name (its MQTT session)")
    catalog = commands.add_parser("catalog", help="the tills' catalog versions")
    actions = catalog.add_subparsers(dest="action", required=True)
    publish = actions.add_parser("publish", help="the store's catalog as its next version")
    publish.add_argument("--db", required=True, help=DB_HELP)
    publish.add_argument("--store", required=True, help="the store's id")
    publish.add_argument("--file", help="a store file (a till's format) to import first")
    _broker_client(actions.add_parser("serve", help="send new versions to the tills and "
                                      "answer their catch-up requests"))
    certs = commands.add_parser("certs", help="a shop CA and the broker's TLS certificate")
    certs.add_argument("--out", required=True, help="directory for ca.crt, server.crt, keys")
    certs.add_argument("--host", action="append", required=True,
                       help="the broker's name or address as tills reach it (repeatable)")
    add_admin_commands(commands)
    add_till_commands(commands)
    args = parser.parse_args(argv)
    if args.command in ADMIN_COMMANDS:
        return run_admin_command(args)
    if args.command == "certs":
        out = make_certificates(args.out, args.host)
        print(f"written: {out}/ca.crt (give to tills), server.crt and server.key (broker)")
        return 0
    if args.command == "catalog" and args.action == "publish":
        return publish_command(open_database(args.db), args.store, args.file)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    if args.command in TILL_COMMANDS:
        return run_till_command(args)
    settings = {"host": args.host, "port": args.port, "username": args.username,
                "password": args.password}
    if args.command == "catalog":
        worker, name = CatalogServer(open_database(args.db), settings), "hub catalog server"
    else:
        worker = Ingest(open_database(args.db), settings, args.worker)
        name = f"hub ingest worker {args.worker}"
    return run_until_stopped(worker, f"{name}: {args.host}:{args.port} -> {args.db}")


def _broker_client(parser):
    """The options of a command that is a client of the broker, on the hub's store."""
    parser.add_argument("--db", required=True, help=DB_HELP)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=1883)
    parser.add_argument("--username", default="hub")
    parser.add_argument("--password", default=os.environ.get("TILLY_HUB_PASSWORD"))
    return parser


if __name__ == "__main__":
    sys.exit(main())
