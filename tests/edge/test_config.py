"""The till's configuration: defaults, the shipped example, and clear refusals."""
from pathlib import Path

import pytest

from edge.config import ConfigError, load_config

EXAMPLE = Path(__file__).resolve().parents[2] / "firmware_config" / "till.toml"


def test_defaults_are_a_simulated_till():
    config = load_config()
    assert {config[device]["backend"] for device in
            ("scanner", "drawer", "printer", "lights", "payment")} == {"simulated"}


def test_the_shipped_example_names_real_hardware():
    config = load_config(EXAMPLE)
    assert config["till"]["simulation"] is False
    assert (config["scanner"]["backend"], config["printer"]["backend"]) == ("evdev", "usb")


@pytest.mark.parametrize("text, message", [
    ("[till\nid = 1", "not valid TOML"),
    ('[till]\nid = "t-1"', "1-8 characters"),
    ('till = "x"', "must be a table"),
])
def test_bad_files_are_refused_clearly(tmp_path, text, message):
    path = tmp_path / "till.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_config(path)
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "missing.toml")
