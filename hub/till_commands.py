"""The hub's commands for tills' broker logins (docs/protocol.md, Security):

- ``broker-init --out DIR``: the broker's first dynamic security file and the hub's three
  passwords (``hub.env``, for the hub's services);
- ``pair --db HUB --store S --till T``: a one-time pairing code to type on the till;
- ``enroll-service --db HUB``: answers the tills' enrollment requests;
- ``revoke --db HUB --store S --till T``: removes a till's login and disconnects it.

The admin login's password comes from ``--password`` or TILLY_HUB_ADMIN_PASSWORD.
"""
import os
import secrets
import sys
from pathlib import Path

from .dynsec import ADMIN, ENROLL, HUB, BrokerAdminError, write_initial_config
from .enrollment import EnrollmentService, revoke
from .models import open_database
from .registry import pair
from .running import run_until_stopped

COMMANDS = ("broker-init", "pair", "enroll-service", "revoke")
ENV = {ADMIN: "TILLY_HUB_ADMIN_PASSWORD", HUB: "TILLY_HUB_PASSWORD",
       ENROLL: "TILLY_ENROLL_PASSWORD"}


def add_commands(commands):
    init = commands.add_parser("broker-init", help="the broker's first logins and roles")
    init.add_argument("--out", required=True,
                      help="directory for dynamic-security.json (the broker's) and hub.env")
    for name, text in (("pair", "a one-time pairing code for a till"),
                       ("revoke", "remove a till's broker login; it is disconnected")):
        command = commands.add_parser(name, help=text)
        command.add_argument("--db", required=True, help="the hub's SQLite file")
        command.add_argument("--store", required=True)
        command.add_argument("--till", required=True)
        if name == "revoke":
            _broker_options(command)
    service = commands.add_parser("enroll-service", help="answer tills' enrollment requests")
    service.add_argument("--db", required=True, help="the hub's SQLite file")
    _broker_options(service)


def _broker_options(command):
    command.add_argument("--host", default="127.0.0.1")
    command.add_argument("--port", type=int, default=1883)
    command.add_argument("--username", default=ADMIN)
    command.add_argument("--password", default=os.environ.get(ENV[ADMIN]))


def _settings(args):
    return {"host": args.host, "port": args.port, "username": args.username,
            "password": args.password}


def run(args):
    """Runs one of COMMANDS; an exit status, with a clear message for what went wrong."""
    try:
        return COMMAND_RUNNERS[args.command](args)
    except (BrokerAdminError, ValueError, OSError) as exc:  # RegistryError is a ValueError
        sys.exit(f"hub {args.command}: {exc}")


def _broker_init(args):
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    config = out / "dynamic-security.json"
    if config.exists():
        raise ValueError(f"{config} exists: it holds the enrolled tills' logins")
    passwords = {user: secrets.token_urlsafe(24) for user in ENV}
    write_initial_config(config, passwords)
    env = out / "hub.env"
    env.write_text("".join(f"{ENV[user]}={password}\n" for user, password in passwords.items()))
    env.chmod(0o600)
    print(f"written: {config} (the broker's plugin_opt_config_file) and {env} (the hub's "
          f"passwords; {ENV[ENROLL]} goes into each till's [hub] enroll_password)")
    return 0


def _pair(args):
    code = pair(open_database(args.db), args.store, args.till)
    print(f"Pairing code for {args.store}/{args.till}: {code}\n"
          "Enter it on the till within 15 minutes; it works once.")
    return 0


def _revoke(args):
    if not revoke(open_database(args.db), _settings(args), args.store, args.till):
        print(f"note: {args.store}/{args.till} was not enrolled in this hub's registry")
    print(f"revoked: {args.store}/{args.till} has no broker login any more")
    return 0


def _enroll_service(args):
    service = EnrollmentService(open_database(args.db), _settings(args))
    return run_until_stopped(service, f"hub enrollment service: {args.host}:{args.port} "
                             f"-> {args.db}")


COMMAND_RUNNERS = {"broker-init": _broker_init, "pair": _pair,
                   "enroll-service": _enroll_service, "revoke": _revoke}
