"""The hub's commands: ``python -m hub ingest --db hub.sqlite3 [--port 1883] ...`` runs an
ingest worker; ``python -m hub certs --out DIR --host NAME`` makes the TLS certificates;
``web``, ``user``, ``fleet`` and ``products`` serve the admin app, add its users, list the
fleet and move the products CSV (hub/admin_commands.py);
``broker-init``, ``pair``, ``enroll-service`` and ``revoke`` manage the tills' broker logins
(hub/till_commands.py).

``--db`` is a SQLite path (or ``sqlite:///path``) or ``postgresql://user@host/name``; a
PostgreSQL password belongs in PGPASSWORD or ~/.pgpass, not the URL. The broker password
comes from ``--password`` or the environment (TILLY_HUB_PASSWORD), so it need not show in
the process list. Each worker has its own ``--worker`` name (its MQTT session); several
share the tills' messages (docs/protocol.md).
"""
import argparse
import logging
import os
import sys

from .admin_commands import COMMANDS as ADMIN_COMMANDS
from .admin_commands import add_commands as add_admin_commands
from .admin_commands import run as run_admin_command
from .certs import make_certificates
from .ingest import Ingest
from .models import open_database
from .running import run_until_stopped
from .till_commands import COMMANDS as TILL_COMMANDS
from .till_commands import add_commands as add_till_commands
from .till_commands import run as run_till_command


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m hub", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    ingest = commands.add_parser("ingest", help="apply the tills' messages to the hub's store")
    ingest.add_argument("--db", required=True,
                        help="the hub's store: a SQLite path or postgresql://user@host/name")
    ingest.add_argument("--host", default="127.0.0.1")
    ingest.add_argument("--port", type=int, default=1883)
    ingest.add_argument("--username", default="hub")
    ingest.add_argument("--password", default=os.environ.get("TILLY_HUB_PASSWORD"))
    ingest.add_argument("--worker", default="1", help="this worker's name (its MQTT session)")
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
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    if args.command in TILL_COMMANDS:
        return run_till_command(args)
    worker = Ingest(open_database(args.db), {"host": args.host, "port": args.port,
                                             "username": args.username,
                                             "password": args.password}, args.worker)
    return run_until_stopped(worker, f"hub ingest worker {args.worker}: {args.host}:"
                             f"{args.port} -> {args.db}")


if __name__ == "__main__":
    sys.exit(main())
