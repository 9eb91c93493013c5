"""Scenario configs: inheritance, validation and one-line errors naming file and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from model.config import ConfigError, load

from conftest import SCENARIOS

ALL = sorted(SCENARIOS.glob("*.toml"))


def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


@pytest.mark.parametrize("path", ALL, ids=[p.stem for p in ALL])
def test_every_scenario_validates(path):
    cfg = load(path)
    assert cfg.platforms and cfg.wallet_names()


def test_required_scenarios_exist():
    names = {p.stem for p in ALL}
    assert {"baseline", "exclusivity_ban", "payment_interop", "link_interop", "full_openness",
            "regulator_crackdown"} <= names


def test_extends_merges_tables_and_replaces_arrays(tmp_path):
    base = load(SCENARIOS / "baseline.toml")
    child = write(tmp_path, "child.toml", f"""
extends = "{SCENARIOS / 'baseline.toml'}"
[platforms.alibaba]
exclusivity = false
[[events]]
tick = 3
action = "payment_interop"
""")
    cfg = load(child)
    assert cfg.platforms["alibaba"].exclusivity is False
    assert cfg.platforms["alibaba"].wallet == base.platforms["alibaba"].wallet  # untouched keys inherited
    assert cfg.platforms["meituan"].exclusivity is True
    assert [e.action for e in cfg.events] == ["payment_interop"]
    assert cfg.name == "child"


@pytest.mark.parametrize(
    "body, key, allowed",
    [
        ("[consumer]\ng_drect = 2.0\n", "consumer.g_drect", "g_direct"),
        ("[regulator]\nmode = 'strict'\n", "regulator.mode", "'ex_post'"),
        ("[regulator]\nfine_rate = 0.5\n", "regulator.fine_rate", "0.1"),
        ("[size]\nconsumers = 'many'\n", "size.consumers", "integer"),
        ("[merchant]\nthrottle_penalty = 1.7\n", "merchant.throttle_penalty", "1"),
        ("[[events]]\ntick = 5\naction = 'ban_everything'\n", "events.0.action", "'ban_exclusivity'"),
        ("[platforms.jd.marketplaces.jd]\naccepts = ['paypal']\n", "accepts", "alipay"),
        ("[[events]]\ntick = 5\naction = 'approve_miniprogram'\ntarget = 'jd'\n", "target", "taobao_deals"),
        ("[[events]]\ntick = 5\naction = 'set'\nkey = 'consumer.nope'\nvalue = 1\n", "key", "cannot be set mid-run"),
    ],
)
def test_bad_config_gives_one_line_error_naming_file_key_and_allowed(tmp_path, body, key, allowed):
    p = write(tmp_path, "bad.toml", f'extends = "{SCENARIOS / "baseline.toml"}"\n' + body)
    with pytest.raises(ConfigError) as err:
        load(p)
    msg = str(err.value)
    assert "\n" not in msg
    assert str(p) in msg and key in msg and allowed in msg, msg


def test_missing_file_and_bad_toml_and_extends_cycle(tmp_path):
    with pytest.raises(ConfigError, match="nope.toml: file not found"):
        load(tmp_path / "nope.toml")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load(write(tmp_path, "broken.toml", "[size\nconsumers = 3"))
    write(tmp_path, "a.toml", 'extends = "b.toml"\n')
    write(tmp_path, "b.toml", 'extends = "a.toml"\n')
    with pytest.raises(ConfigError, match="cycle"):
        load(tmp_path / "a.toml")
    with pytest.raises(ConfigError, match="missing.toml: file not found"):
        load(write(tmp_path, "c.toml", 'extends = "missing.toml"\n'))


def test_overrides_are_validated():
    cfg = load(SCENARIOS / "baseline.toml", {"size.consumers": 1234})
    assert cfg.size.consumers == 1234
    with pytest.raises(ConfigError, match="size.consumers"):
        load(SCENARIOS / "baseline.toml", {"size.consumers": -5})
