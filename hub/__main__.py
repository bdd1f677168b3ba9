"""The hub's commands: ``python -m hub ingest --db hub.sqlite3 [--port 1883] ...`` runs an
ingest worker; ``python -m hub certs --out DIR --host NAME`` makes the TLS certificates;
``python -m hub catalog publish --db hub.sqlite3 --store S --file store.json`` makes a
store's next catalog version, and ``python -m hub catalog serve --db hub.sqlite3 ...`` sends
the versions to the tills (docs/protocol.md).

The broker password comes from ``--password`` or the environment (TILLY_HUB_PASSWORD), so
it need not show in the process list. Each worker has its own ``--worker`` name (its MQTT
session); until the end-to-end acknowledgement lands, run one (docs/protocol.md).
"""
import argparse
import logging
import os
import signal
import sys
import threading

from .catalog_push import CatalogServer, publish_file
from .certs import make_certificates
from .ingest import Ingest
from .models import open_database


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m hub", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    ingest = _broker_client(commands.add_parser(
        "ingest", help="apply the tills' messages to the hub's store"))
    ingest.add_argument("--worker", default="1", help="this worker's name (its MQTT session)")
    catalog = commands.add_parser("catalog", help="the tills' catalog versions")
    actions = catalog.add_subparsers(dest="action", required=True)
    publish = actions.add_parser("publish", help="a store file as the store's next version")
    publish.add_argument("--db", required=True, help="the hub's SQLite file")
    publish.add_argument("--store", required=True, help="the store's id")
    publish.add_argument("--file", required=True, help="the store file (a till's format)")
    _broker_client(actions.add_parser("serve", help="send new versions to the tills and "
                                      "answer their catch-up requests"))
    certs = commands.add_parser("certs", help="a shop CA and the broker's TLS certificate")
    certs.add_argument("--out", required=True, help="directory for ca.crt, server.crt, keys")
    certs.add_argument("--host", action="append", required=True,
                       help="the broker's name or address as tills reach it (repeatable)")
    args = parser.parse_args(argv)
    if args.command == "certs":
        out = make_certificates(args.out, args.host)
        print(f"written: {out}/ca.crt (give to tills), server.crt and server.key (broker)")
        return 0
    if args.command == "catalog" and args.action == "publish":
        return publish_file(open_database(args.db), args.store, args.file)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    settings = {"host": args.host, "port": args.port, "username": args.username,
                "password": args.password}
    if args.command == "catalog":
        worker, name = CatalogServer(open_database(args.db), settings), "hub catalog server"
    else:
        worker = Ingest(open_database(args.db), settings, args.worker)
        name = f"hub ingest worker {args.worker}"
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    worker.start()
    print(f"{name}: {args.host}:{args.port} -> {args.db}", flush=True)
    stop.wait()
    worker.stop()
    return 0


def _broker_client(parser):
    """The options of a command that is a client of the broker, on the hub's store."""
    parser.add_argument("--db", required=True, help="the hub's SQLite file")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=1883)
    parser.add_argument("--username", default="hub")
    parser.add_argument("--password", default=os.environ.get("TILLY_HUB_PASSWORD"))
    return parser


if __name__ == "__main__":
    sys.exit(main())
