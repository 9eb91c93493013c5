"""Scenario configs: inheritance, validation and one-line errors naming file and key."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from model.config import (ConfigError, ConsumerConfig, MarketplaceConfig, MerchantConfig, PlatformConfig,
                          RegulatorConfig, SizeConfig, WalletConfig, load)

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
    # a missing parent is reported against the file that names it
    with pytest.raises(ConfigError, match=r"c.toml: key 'extends': 'missing.toml': file not found"):
        load(write(tmp_path, "c.toml", 'extends = "missing.toml"\n'))


def test_overrides_are_validated():
    cfg = load(SCENARIOS / "baseline.toml", {"size.consumers": 1234})
    assert cfg.size.consumers == 1234
    with pytest.raises(ConfigError, match="size.consumers"):
        load(SCENARIOS / "baseline.toml", {"size.consumers": -5})


# --------------------------------------------------------------------------- issue 15: one line for every bad input
BASE = SCENARIOS / "baseline.toml"

# every table a user edits, with a misspelt key: these used to recurse without end in the error helper
TYPO_TABLES = {
    "": "nmae", "size": "consumer", "consumer": "g_drect", "merchant": "revison", "regulator": "strenght",
    "platforms.alibaba": "exclusive", "platforms.tencent": "socail", "platforms.alibaba.wallet": "fe",
    "platforms.alibaba.marketplaces.taobao": "commision", "platforms.tencent.wallet": "apeal",
    "platforms.jd.marketplaces.jd": "acepts", "platforms.alibaba.marketplaces.taobao_deals": "hots",
}


def one_line(err) -> str:
    msg = str(err.value)
    assert "\n" not in msg and len(msg) < 1000, msg
    return msg


@pytest.mark.parametrize("table, typo", TYPO_TABLES.items(), ids=lambda x: x or "top")
@pytest.mark.parametrize("how", ["file", "override"])
def test_a_typo_in_any_table_is_one_line_with_did_you_mean(tmp_path, table, typo, how):
    key = f"{table}.{typo}" if table else typo
    if how == "file":
        header = f"[{table}]\n" if table else ""
        path = write(tmp_path, "typo.toml", f'extends = "{BASE}"\n{header}{typo} = 1\n')
        with pytest.raises(ConfigError) as err:
            load(path)
    else:
        path = BASE
        with pytest.raises(ConfigError) as err:
            load(path, {key: 1})
    msg = one_line(err)
    assert msg.startswith(str(path)) and f"key '{key}'" in msg and "did you mean" in msg and "allowed:" in msg, msg


@pytest.mark.parametrize("key", ["name", "description"])
def test_a_set_event_on_a_top_level_key_is_one_line(key):
    ev = {"tick": 1, "action": "set", "key": key, "value": "x"}
    with pytest.raises(ConfigError) as err:
        load(BASE, {"events": [ev]})
    one_line(err)


def test_an_event_typo_is_one_line(tmp_path):
    path = write(tmp_path, "ev.toml", f'extends = "{BASE}"\n[[events]]\ntick = 3\naction = "payment_interop"\ntraget = "x"\n')
    with pytest.raises(ConfigError) as err:
        load(path)
    msg = one_line(err)
    assert "events.0.traget" in msg and "did you mean 'target'" in msg


def test_errors_in_a_parent_are_named_against_the_parent(tmp_path):
    parent = write(tmp_path, "parent.toml", f'extends = "{BASE}"\n[platforms.alibaba]\nexclusive = true\n'
                                            '[consumer]\ntau = 2.0\n')
    child = write(tmp_path, "child.toml", 'extends = "parent.toml"\n[consumer]\ntau = 3.0\n')
    with pytest.raises(ConfigError) as err:
        load(child)
    assert one_line(err).startswith(f"{parent}: key 'platforms.alibaba.exclusive'")
    # a bad value the child sets is the child's, one the parent sets the parent's
    write(tmp_path, "parent.toml", f'extends = "{BASE}"\n[consumer]\ng_links = -1\n')
    with pytest.raises(ConfigError) as err:
        load(child, {"consumer.tau": 1.0})
    assert one_line(err).startswith(f"{parent}: key 'consumer.g_links'")
    with pytest.raises(ConfigError) as err:
        load(child, {"consumer.g_links": -2})
    assert one_line(err).startswith(f"{child} (override): key 'consumer.g_links'")
    # a cross-reference problem is located too: the parent's marketplace names an unknown wallet
    write(tmp_path, "parent.toml", f'extends = "{BASE}"\n[platforms.jd.marketplaces.jd]\naccepts = ["wechat_pay", "alipy"]\n')
    with pytest.raises(ConfigError) as err:
        load(child)
    msg = one_line(err)
    assert msg.startswith(f"{parent}: key 'platforms.jd.marketplaces.jd.accepts'") and "did you mean 'alipay'" in msg


def test_extends_problems_name_the_file_that_extends(tmp_path):
    write(tmp_path, "baseline.toml", BASE.read_text())
    typo = write(tmp_path, "typo.toml", 'extends = "baselin.toml"\n')
    with pytest.raises(ConfigError) as err:
        load(typo)
    msg = one_line(err)
    assert msg.startswith(f"{typo}: key 'extends': 'baselin.toml': file not found") and "did you mean 'baseline.toml'" in msg
    (tmp_path / "sub.toml").mkdir()
    with pytest.raises(ConfigError, match=r"key 'extends': 'sub.toml': is a directory"):
        load(write(tmp_path, "d.toml", 'extends = "sub.toml"\n'))
    with pytest.raises(ConfigError, match="key 'extends': must be a file name"):
        load(write(tmp_path, "n.toml", "extends = 3\n"))


def test_paths_that_are_not_readable_scenario_files(tmp_path):
    (tmp_path / "dir.toml").mkdir()
    with pytest.raises(ConfigError, match="dir.toml: is a directory"):
        load(tmp_path / "dir.toml")
    os.mkfifo(tmp_path / "fifo.toml")
    with pytest.raises(ConfigError, match="fifo.toml: is not a regular file"):
        load(tmp_path / "fifo.toml")  # must not block reading it
    (tmp_path / "latin1.toml").write_bytes('name = "caf\xe9"\n'.encode("latin-1"))
    with pytest.raises(ConfigError, match=r"latin1.toml: not UTF-8 text \(byte 0xe9 at offset 11\)"):
        load(tmp_path / "latin1.toml")


def test_a_deep_extends_chain_loads_and_names_the_deepest_file(tmp_path):
    depth = 1200
    for i in range(depth):
        body = f'extends = "f{i + 1}.toml"\n' if i < depth - 1 else f'extends = "{BASE}"\n[consumer]\ntau = 2.5\n'
        write(tmp_path, f"f{i}.toml", body)
    cfg = load(tmp_path / "f0.toml")
    assert cfg.consumer.tau == 2.5 and cfg.name == "f0"
    write(tmp_path, f"f{depth - 1}.toml", f'extends = "{BASE}"\n[consumer]\ntau = -1\n')
    with pytest.raises(ConfigError) as err:
        load(tmp_path / "f0.toml")
    assert one_line(err).startswith(f"{tmp_path / f'f{depth - 1}.toml'}: key 'consumer.tau'")


# --------------------------------------------------------------------------- finite numbers
def _fields(model, kind):
    return [name for name, f in model.model_fields.items() if f.annotation is kind]


FLOAT_KEYS = (
    [f"{s}.{f}" for s, m in (("consumer", ConsumerConfig), ("merchant", MerchantConfig),
                             ("regulator", RegulatorConfig)) for f in _fields(m, float)]
    + [f"platforms.alibaba.{f}" for f in _fields(PlatformConfig, float)]
    + [f"platforms.alibaba.wallet.{f}" for f in _fields(WalletConfig, float)]
    + [f"platforms.alibaba.marketplaces.taobao.{f}" for f in _fields(MarketplaceConfig, float)]
    + ["consumer.initial_wallet.alipay", "consumer.initial_market.taobao"]
)
INT_KEYS = (
    [f"{s}.{f}" for s, m in (("size", SizeConfig), ("merchant", MerchantConfig), ("regulator", RegulatorConfig))
     for f in _fields(m, int)]
    + [f"platforms.alibaba.{f}" for f in _fields(PlatformConfig, int)]
)


def test_the_schema_lists_are_complete():
    # bounded (Annotated) and plain floats alike
    assert {"consumer.checkout_scale", "consumer.multihoming_threshold", "regulator.psi0", "merchant.revision",
            "platforms.alibaba.exploration", "platforms.alibaba.marketplaces.taobao.quality"} <= set(FLOAT_KEYS)
    assert {"merchant.throttle_ticks", "size.seed", "regulator.delay"} <= set(INT_KEYS)


@pytest.mark.parametrize("key", FLOAT_KEYS)
def test_every_float_must_be_finite(key):
    for bad in (float("nan"), float("inf"), -float("inf")):
        with pytest.raises(ConfigError) as err:
            load(BASE, {key: bad})
        msg = one_line(err)
        assert f"key '{key}'" in msg and "finite" in msg and "allowed:" in msg, msg


@pytest.mark.parametrize("key", INT_KEYS)
def test_every_integer_has_an_upper_bound(key):
    with pytest.raises(ConfigError) as err:
        load(BASE, {key: 2**63})
    assert f"key '{key}'" in one_line(err) and "less than or equal" in str(err.value)


@pytest.mark.parametrize("key, value", [
    ("merchant.throttle_ticks", 2**63 - 1), ("consumer.checkout_scale", 0.001), ("consumer.budget_sigma", 1000),
    ("consumer.budget_mean", 1e300), ("consumer.g_direct", 1e300), ("platforms.alibaba.marketplaces.taobao.ticket", 1e-300),
])
def test_values_that_overflowed_the_model_are_rejected(key, value):
    with pytest.raises(ConfigError) as err:
        load(BASE, {key: value})
    assert f"key '{key}'" in one_line(err) and "allowed:" in str(err.value)


# --------------------------------------------------------------------------- cross-references
@pytest.mark.parametrize("overrides, key, needle", [
    ({"platforms.tencent.wallet.name": "alipay"}, "platforms.tencent.wallet.name", "wallet names must be unique"),
    ({"platforms.jd.marketplaces.taobao": {"quality": 1.0}}, "platforms.jd.marketplaces.taobao",
     "marketplace names must be unique"),
    ({"platforms.alibaba.marketplaces.taobao.listings_from": "taobao"},
     "platforms.alibaba.marketplaces.taobao.listings_from", "this marketplace itself"),
    ({"platforms.alibaba.marketplaces.taobao.listings_from": "taobao_deals"},
     "platforms.alibaba.marketplaces.taobao.listings_from", "chain or cycle"),
    ({"platforms.jd.marketplaces.jd.listings_from": "taobao_deal"}, "platforms.jd.marketplaces.jd.listings_from",
     "did you mean 'taobao_deals'"),
    ({"platforms.alibaba.marketplaces.taobao_deals.host": "nobody"},
     "platforms.alibaba.marketplaces.taobao_deals.host", "unknown platform 'nobody'"),
    ({"platforms.alibaba.marketplaces.taobao_deals.host": "jd"},
     "platforms.alibaba.marketplaces.taobao_deals.host", "no super-app"),
    ({"consumer.initial_market.taobo": 0.3}, "consumer.initial_market.taobo", "did you mean 'taobao'"),
    ({"platforms.amazon.exclusivity": True}, "platforms.amazon.exclusivity", "unknown platform 'amazon'"),
    ({"platforms.alibaba.marketplaces.tmall.quality": 1.0}, "platforms.alibaba.marketplaces.tmall.quality",
     "unknown marketplace 'tmall'"),
    ({"platforms.alibab.exclusivity": True}, "platforms.alibab.exclusivity", "did you mean 'alibaba'"),
    ({"platforms.bad name": {"marketplaces": {}}}, "platforms.bad name", "not allowed"),
    ({"size.consumers": 40, "size.social_degree": 64}, "size.social_degree", "fewer than size.consumers"),
    ({"platforms.alibaba.wallet": "alipay"}, "platforms.alibaba.wallet", "must be a table"),
])
def test_inconsistent_structures_are_rejected(overrides, key, needle):
    with pytest.raises(ConfigError) as err:
        load(BASE, overrides)
    msg = one_line(err)
    assert f"key '{key}'" in msg and needle in msg, msg


def test_a_whole_new_table_may_still_be_added():
    cfg = load(BASE, {"platforms.jd.marketplaces.jd_2": {"quality": 0.5, "accepts": ["wechat_pay"]},
                      "platforms.amazon": {"wallet": {"name": "amazon_pay"}}})
    assert "jd_2" in cfg.platforms["jd"].marketplaces and cfg.platforms["amazon"].wallet.name == "amazon_pay"


def test_too_many_marketplaces_or_wallets_are_rejected():
    many = {f"platforms.jd.marketplaces.m{i}": {"quality": 0.1} for i in range(59)}
    with pytest.raises(ConfigError, match=r"key 'platforms': 65 marketplaces; allowed: at most 64"):
        load(BASE, many)
    assert len(load(BASE, dict(list(many.items())[:58])).marketplace_names()) == 64
    wallets = {f"platforms.w{i}": {"wallet": {"name": f"w{i}"}} for i in range(14)}
    with pytest.raises(ConfigError, match=r"key 'platforms': 17 wallets; allowed: at most 16"):
        load(BASE, wallets)
