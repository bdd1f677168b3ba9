"""The till's configuration: a TOML file whose sections are the till itself and each device.

Every option has a default that runs a simulated till, so ``make demo`` and the tests need
no file at all; a real till's file names its hardware (see ``firmware_config/``).
"""
import copy
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

DEFAULTS = {
    "till": {
        "id": "T01",
        "data_dir": str(ROOT / "var" / "till-T01"),
        "store_file": str(ROOT / "edge" / "data" / "sample-store.json"),
        "host": "127.0.0.1",
        "port": 8700,
        # The development scan endpoint and simulation controls in the UI.
        "simulation": True,
    },
    "scanner": {"backend": "simulated"},
    "drawer": {"backend": "simulated"},
    "printer": {"backend": "simulated"},
    "lights": {"backend": "simulated"},
    "payment": {"backend": "simulated"},
    # The MQTT link to the hub (edge/publisher.py); no host: the till keeps its outbox.
    "hub": {"host": ""},
}


class ConfigError(ValueError):
    """The configuration file cannot be used; the message says why."""


def merge(base, overrides):
    """``base`` with ``overrides`` applied section by section."""
    merged = copy.deepcopy(base)
    for section, values in (overrides or {}).items():
        if not isinstance(values, dict):
            raise ConfigError(f"configuration: [{section}] must be a table")
        merged.setdefault(section, {}).update(values)
    return merged


def load_config(path=None, overrides=None):
    """Defaults, then the file at ``path`` (if any), then ``overrides``."""
    config = DEFAULTS
    if path:
        try:
            with open(path, "rb") as handle:
                config = merge(config, tomllib.load(handle))
        except OSError as exc:
            raise ConfigError(f"cannot read configuration {path}: {exc.strerror}") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"configuration {path} is not valid TOML: {exc}") from None
    config = merge(config, overrides)
    till_id = config["till"]["id"]
    if not (isinstance(till_id, str) and re.fullmatch(r"[A-Z0-9]{1,8}", till_id)):
        raise ConfigError("configuration: [till] id must be 1-8 characters A-Z and 0-9")
    return config
