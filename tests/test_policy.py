"""Policy records, timeline events and Mesa conventions.

Every key a ``set`` event may change takes effect; an event that changes nothing leaves the run
untouched; the model follows Mesa's seeding, batch_run, agent-reporter and agent conventions."""

from __future__ import annotations

import os
import subprocess
import sys
import warnings

import mesa
import pandas as pd
import pytest

from model import config
from model.agents import Consumer, Merchant
from model.batch import derive_seed
from model.consumers import ConsumerPopulation
from model.model import DEFAULT_SCENARIO, WalledGardens

from conftest import ROOT, SCENARIOS

BASE = SCENARIOS / "baseline.toml"
TINY = {"size.consumers": 1000, "size.merchants": 100}
# the context in which each changeable key matters, and two values for it
REGULATED = {"regulator.mode": "ex_post", "regulator.strength": 5.0, "regulator.psi0": -2.0, "regulator.delay": 2}
CASES = {
    "platforms.alibaba.exclusivity": ({}, False, True),
    "platforms.tencent.admits_rival_links": ({}, False, True),
    "platforms.tencent.admits_rival_apps": ({}, False, True),
    "platforms.alibaba.marketplaces.taobao.commission": ({}, 0.01, 0.2),
    "platforms.alibaba.marketplaces.taobao.accepts": ({}, ["alipay"], ["alipay", "wechat_pay", "unionpay"]),
    "platforms.jd.marketplaces.jd.quality": ({}, -2.0, 3.0),
    "platforms.jd.marketplaces.jd.fixed_fee": ({}, 0.0, 0.5),
    "platforms.pinduoduo.marketplaces.pinduoduo.launched": ({}, False, True),
    "platforms.alibaba.wallet.fee": ({}, 0.0, 0.05),
    "platforms.jd.marketplaces.jd.consumer_price": ({}, -0.2, 0.3),
    "regulator.mode": ({"regulator.strength": 5.0, "regulator.psi0": -2.0, "regulator.delay": 2}, "off", "ex_post"),
    "regulator.strength": (REGULATED, 0.01, 10.0),
    "regulator.psi0": (REGULATED, -20.0, 5.0),
    "regulator.psi1": (REGULATED | {"regulator.psi0": -6.0}, -10.0, 10.0),
    "regulator.psi2": (REGULATED | {"regulator.psi0": -6.0}, -10.0, 10.0),
    "regulator.delay": (REGULATED, 1, 30),
    "regulator.fine_rate": (REGULATED, 0.01, 0.1),
    "regulator.remedy_ticks": (REGULATED, 1, 100),
    "regulator.gatekeeper_share": ({"regulator.mode": "ex_ante", "regulator.gatekeeper_share": 1.0}, 0.05, 1.0),
}


def with_set(key, value, context: dict, tick: int = 2) -> pd.DataFrame:
    raw = config.with_overrides(config.read_raw(BASE), {**TINY, **context})
    raw["events"] = [{"tick": tick, "action": "set", "key": key, "value": value}]
    m = WalledGardens(config.validate(raw, "test"), seed=3, agents=False)
    m.run_for(24)
    return m.results()


def test_every_changeable_key_has_a_case():
    keys = set(config.changeable_keys(config.load(BASE)))
    covered = {k.split(".")[-1] for k in CASES}
    assert {k.split(".")[-1] for k in keys} == covered


@pytest.mark.parametrize("key", sorted(CASES))
def test_each_changeable_key_moves_the_output(key):
    context, a, b = CASES[key]
    first, second = with_set(key, a, context), with_set(key, b, context)
    assert not first.equals(second), f"setting {key} to {a!r} or {b!r} gave the same run"


@pytest.mark.parametrize("key, value", [("consumer.g_direct", 3.0), ("name", "x"), ("description", "y"),
                                        ("platforms.alibaba.marketplaces.taobao.ticket", 2.0),
                                        ("size.consumers", 10)])
def test_keys_fixed_for_a_run_are_rejected_at_load(key, value):
    raw = config.read_raw(BASE)
    raw["events"] = [{"tick": 5, "action": "set", "key": key, "value": value}]
    with pytest.raises(config.ConfigError, match="cannot be set mid-run"):
        config.validate(raw, "s.toml")


def test_an_event_that_changes_nothing_leaves_the_run_untouched():
    plain = with_set("platforms.alibaba.exclusivity", True, {}, tick=5)  # already true in the baseline
    raw = config.with_overrides(config.read_raw(BASE), TINY)
    m = WalledGardens(config.validate(raw, "test"), seed=3, agents=False)
    m.run_for(24)
    pd.testing.assert_frame_equal(plain, m.results())


def test_events_after_the_last_tick_are_warned_about():
    cfg = config.load(SCENARIOS / "exclusivity_ban.toml")
    assert "60" in config.late_events(cfg, 30) and config.late_events(cfg, 120) is None


def test_a_remedy_ends_at_its_tick():
    ov = {**TINY, "regulator.mode": "ex_post", "regulator.strength": 10, "regulator.psi0": 10,
          "regulator.delay": 1, "regulator.remedy_ticks": 5}
    m = WalledGardens(BASE, seed=1, overrides=ov, agents=False)
    ali, taobao = m.platform("alibaba"), m.market.marketplaces.index("taobao")
    while ali.remedy_until < 0:  # investigated at once, fined after a tick
        m.step()
    end = ali.remedy_until
    assert not ali.exclusivity_in_force and not m.market.demands_exclusivity[taobao]
    while m.time < end - 1:
        m.step()
        assert not m.market.demands_exclusivity[taobao]
    m.step()  # the remedy's last tick has passed: exclusivity is demanded again, at once
    assert m.time == end and ali.exclusivity_in_force and m.market.demands_exclusivity[taobao]


def test_seed_and_rng_are_the_same_and_none_draws_a_fresh_seed():
    a = WalledGardens(BASE, rng=7, overrides=TINY, agents=False)
    b = WalledGardens(BASE, seed=7, overrides=TINY, agents=False)
    assert a.seed == b.seed == 7
    assert WalledGardens(BASE, overrides=TINY, agents=False).seed == config.load(BASE).size.seed
    assert WalledGardens(BASE, seed=None, overrides=TINY).seed != WalledGardens(BASE, seed=None, overrides=TINY).seed
    with pytest.raises(ValueError, match="disagree"):
        WalledGardens(BASE, seed=1, rng=2, overrides=TINY)


def test_mesa_batch_run_iterations_give_different_runs():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        rows = mesa.batch_run(WalledGardens, {"overrides": [TINY], "agents": [False]}, iterations=3, max_steps=4,
                              display_progress=False)
    assert len({r["seed"] for r in rows}) == 3
    assert len({round(r["pay_share_value_alipay"], 12) for r in rows}) == 3


def test_mesa_batch_run_on_seeds_derived_from_the_model_seed_is_reproducible():
    seeds = WalledGardens.seeds(3)  # from the scenario's size.seed, as the project's batch derives them
    master = config.load(BASE).size.seed
    assert seeds == WalledGardens.seeds(3, master)
    assert seeds == [derive_seed(master, "baseline", r, common=True) for r in range(3)]

    def outcomes():
        rows = mesa.batch_run(WalledGardens, {"overrides": [TINY], "agents": [False]}, rng=seeds, max_steps=3,
                              display_progress=False)
        return [(r["seed"], r["pay_share_value_alipay"]) for r in rows]

    first = outcomes()
    assert [s for s, _ in first] == seeds and len({v for _, v in first}) == 3
    assert outcomes() == first
    with warnings.catch_warnings(), pytest.raises(ValueError, match=r"rng=WalledGardens.seeds\(N, 5\)"):
        warnings.simplefilter("ignore", DeprecationWarning)  # iterations=N passes seed=None, which would drop rng=5
        mesa.batch_run(WalledGardens, {"overrides": [TINY], "rng": [5]}, iterations=2, max_steps=1,
                       display_progress=False)


def test_default_scenario_is_found_from_any_working_directory(tmp_path):
    code = "from model.model import WalledGardens; print(WalledGardens(overrides={'size.consumers': 500, 'size.merchants': 50}).cfg.name)"
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(ROOT)}, check=True)
    assert out.stdout.strip() == "baseline" and DEFAULT_SCENARIO.is_file()


def test_agent_reporters_on_request():
    m = WalledGardens(BASE, seed=1, overrides=TINY, agent_reporters=True)
    m.run_for(2)
    df = m.datacollector.get_agent_vars_dataframe()
    consumers = df.xs(2, level="Step").dropna(subset=["marketplaces"])
    assert len(consumers) == 1000 and consumers["main_wallet"].isin(m.market.wallets + [None]).all()
    merchants = df.xs(2, level="Step").dropna(subset=["listings"])
    assert len(merchants) == 100 and set(merchants["exclusive"].unique()) <= {True, False}
    assert (m.results()["pay_share_value_alipay"] > 0).all()


def test_agent_reporters_read_one_consumer_not_the_whole_population(monkeypatch):
    """Each view reads its own row: unpacking all N consumers' sets per agent made collection O(N^2)."""
    m = WalledGardens(BASE, seed=1, overrides=TINY, agent_reporters=True)
    m.step()
    holds, uses, market = m.consumers.holds, m.consumers.uses, m.market
    expected = {i: ([w for w, h in zip(market.wallets, holds[i]) if h],
                    [k for k, u in zip(market.marketplaces, uses[i]) if u]) for i in range(m.consumers.n)}
    for name in ("holds", "uses"):
        monkeypatch.setattr(ConsumerPopulation, name, property(lambda self: pytest.fail("a view unpacked everybody")))
    assert {a.idx: (a.wallets, a.marketplaces) for a in m.agents_by_type[Consumer]} == expected
    m.step()  # the agent reporters too
    assert len(m.datacollector.get_agent_vars_dataframe().xs(2, level="Step").dropna(subset=["marketplaces"])) == 1000


def test_consumers_and_merchants_are_views_that_say_so():
    m = WalledGardens(BASE, seed=1, overrides=TINY)
    with pytest.raises(TypeError, match="read-only views .* model.consumers"):
        m.agents_by_type[Consumer].shuffle_do("step")
    with pytest.raises(TypeError, match="model.merchants"):
        m.agents_by_type[Merchant][0].step()


def test_host_approval_and_guest_offer_are_strategic_policies():
    m = WalledGardens(BASE, seed=1, overrides={**TINY, "platforms.tencent.strategic": ["app_approval"],
                                               "platforms.alibaba.strategic": ["miniprogram_offer"]}, agents=False)
    deals = m.market.marketplaces.index("taobao_deals")
    tencent, ali = m.platform("tencent"), m.platform("alibaba")
    assert not m.market.active[deals]
    tencent.flip("app_approval")
    m.sync_market()
    assert m.market.active[deals]
    ali.flip("miniprogram_offer")
    m.sync_market()
    assert not m.market.active[deals] and not ali.policy.marketplaces["taobao_deals"].launched
    assert ali.policy.marketplaces["taobao"].launched  # only its mini-programs in rivals' apps


def test_ex_ante_designation_orders_mini_program_approval():
    """A designated host that does not choose approval itself must approve for good; one that does
    approves now, keeps the duty, and may breach it."""
    fixed = WalledGardens(SCENARIOS / "dma_ex_ante.toml", seed=1, agents=False,
                          overrides={**TINY, "regulator.gatekeeper_share": 0.05, "platforms.tencent.strategic": []})
    fixed.run_for(2)
    tencent = fixed.platform("tencent")
    assert tencent.admits_rival_apps and "app_approval" in tencent.mandated and "app_approval" in tencent.policy.duties
    chooser = WalledGardens(SCENARIOS / "dma_ex_ante.toml", seed=1, agents=False,
                            overrides={**TINY, "regulator.gatekeeper_share": 0.05})
    chooser.run_for(2)
    tencent = chooser.platform("tencent")
    assert tencent.admits_rival_apps and "app_approval" not in tencent.mandated
    assert "app_approval" in tencent.policy.duties
