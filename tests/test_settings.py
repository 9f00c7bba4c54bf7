"""Settings are data, layered defaults < instance file < environment < overrides."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from settings import SETTINGS, ensure_secret_key, load_config, settings_markdown_table


def test_every_setting_has_help_and_a_documented_env_name():
    names = {s.env_name for s in SETTINGS}
    assert {"COCKPIT_DATABASE_URL", "COCKPIT_PORT", "COCKPIT_SECRET_KEY", "COCKPIT_DEMO_PASSWORD"} <= names
    assert all(s.help.strip() and s.help_zh.strip() for s in SETTINGS)  # shown on the system page in both
    text = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    assert [s.env_name for s in SETTINGS if s.env_name not in text] == []
    assert settings_markdown_table() in text  # the README's table is the generated one


def test_layers_in_order(tmp_path):
    (tmp_path / "cockpit.toml").write_text('port = 9000\nhost = "0.0.0.0"\n')
    config = load_config({"instance_dir": str(tmp_path)}, environ={"COCKPIT_PORT": "9100"})
    assert config.port == 9100 and config.host == "0.0.0.0"
    config = load_config({"instance_dir": str(tmp_path), "port": 9200}, environ={"COCKPIT_PORT": "9100"})
    assert config.port == 9200
    assert load_config({"instance_dir": str(tmp_path)}, environ={}).sqlalchemy_url.endswith("/cockpit.db")


def test_bad_values_are_refused_with_the_setting_named(tmp_path):
    with pytest.raises(ValueError, match="COCKPIT_PORT"):
        load_config({"instance_dir": str(tmp_path)}, environ={"COCKPIT_PORT": "eighty"})
    with pytest.raises(ValueError, match="unknown setting"):
        load_config({"instance_dir": str(tmp_path), "nope": 1}, environ={})
    (tmp_path / "cockpit.toml").write_text("colour = 1\n")
    with pytest.raises(ValueError, match="unknown setting 'colour'"):
        load_config({"instance_dir": str(tmp_path)}, environ={})


def test_secret_key_is_generated_once_private_and_never_a_default(tmp_path):
    config = load_config({"instance_dir": str(tmp_path)}, environ={})
    key = ensure_secret_key(config)
    assert len(key) >= 64
    assert ensure_secret_key(config) == key
    mode = stat.S_IMODE((tmp_path / "secret_key").stat().st_mode)
    assert mode == 0o600
    other = load_config({"instance_dir": str(tmp_path / "other")}, environ={})
    assert ensure_secret_key(other) != key
    assert ensure_secret_key(load_config({"instance_dir": str(tmp_path), "secret_key": "given"}, environ={})) == "given"
