"""Run a till: ``python -m edge [--config till.toml] [--port N] [--data-dir DIR]``.
Enroll it with the hub: ``python -m edge enroll --code ABCD-2345 [--config till.toml]``."""
import argparse
import sys

from waitress import serve

from .app import create_app
from .catalog import Catalog, CatalogError
from .config import ConfigError, load_config
from .enrollment import enroll
from .errors import TillError
from .models import SchemaError


def enroll_main(argv):
    parser = argparse.ArgumentParser(prog="python -m edge enroll",
                                     description="enroll the till with the hub's pairing code")
    parser.add_argument("--code", required=True, help="the code from python -m hub pair")
    parser.add_argument("--config", help="the till's TOML configuration file")
    parser.add_argument("--data-dir", help="where the till keeps its journal and login")
    args = parser.parse_args(argv)
    overrides = {"till": {"data_dir": args.data_dir}} if args.data_dir else None
    try:
        config = load_config(args.config, overrides)
        store = Catalog.load(config["till"]["store_file"]).store["id"]
        username = enroll(config, store, args.code)
    except (ConfigError, CatalogError) as exc:
        sys.exit(f"till: {exc}")
    except TillError as exc:
        sys.exit(f"till: enrollment failed: {exc.message}")
    print(f"Enrolled with the hub as {username}; restart the till to use its new login.")


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["enroll"]:
        return enroll_main(argv[1:])
    parser = argparse.ArgumentParser(prog="python -m edge", description=__doc__)
    parser.add_argument("--config", help="TOML configuration file (default: a simulated till)")
    parser.add_argument("--id", help="till id, e.g. T01")
    parser.add_argument("--host", help="address to listen on")
    parser.add_argument("--port", type=int, help="port to listen on")
    parser.add_argument("--data-dir", help="where the journal and receipts are kept")
    parser.add_argument("--store-file", help="store file (catalog, staff, pricing set-up)")
    args = parser.parse_args(argv)
    till = {key: value for key, value in (("id", args.id), ("host", args.host),
                                          ("port", args.port), ("data_dir", args.data_dir),
                                          ("store_file", args.store_file)) if value is not None}
    try:
        config = load_config(args.config, {"till": till})
        app = create_app(config)
    except (ConfigError, CatalogError, SchemaError) as exc:
        sys.exit(f"till: {exc}")
    host, port = config["till"]["host"], config["till"]["port"]
    print(f"Till {config['till']['id']} at http://{host}:{port}/ "
          f"(journal in {config['till']['data_dir']})", flush=True)
    serve(app, host=host, port=port, threads=8, ident="tilly-till")


if __name__ == "__main__":
    main()
