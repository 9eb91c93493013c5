"""Platform strategy: commission hill-climbing, policy trial and error, expected fines, mandates."""

from __future__ import annotations

import pytest

from model.model import WalledGardens
from model.rules import regulation, strategy

from conftest import SCENARIOS, SMALL

BASELINE = SCENARIOS / "baseline.toml"


def model(**overrides) -> WalledGardens:
    return WalledGardens(BASELINE, seed=1, overrides={**SMALL, **overrides}, agents=False)


def test_climb_judges_the_group_that_moved_and_moves_the_next():
    prices, direction = {"a": 0.10, "b": 0.20}, {"a": 1.0, "b": 1.0}
    new, steps = strategy.climb(prices, direction, 1.0, None, 0.01, judged=("a",), moving=("a",))
    assert new == {"a": 0.11, "b": 0.20}  # only the group on its turn moves
    new, steps = strategy.climb(new, steps, 0.5, 1.0, 0.01, judged=("a",), moving=("b",))
    assert new["a"] == 0.11 and new["b"] == pytest.approx(0.21)  # b moves up, a keeps its price...
    assert steps["a"] == pytest.approx(-0.005) and steps["b"] == pytest.approx(0.01)  # ...and reverses at half the step
    new, _ = strategy.climb(new, steps, 0.4, 0.5, 0.01)  # the whole-platform move of the default
    assert new == pytest.approx({"a": 0.11 + 0.0025, "b": 0.21 - 0.005})
    assert strategy.climb({"a": 0.499}, {"a": 1.0}, 1.0, None, 0.01)[0]["a"] == strategy.COMMISSION_RANGE[1]


def test_a_mirroring_mini_program_prices_with_its_source():
    cfg = model().cfg.platforms["alibaba"]
    assert strategy.price_groups(cfg.marketplaces) == [("taobao", "taobao_deals"), ("eleme",)]


def test_policy_trial_keeps_a_flip_only_if_the_score_did_not_fall():
    m = model(**{"platforms.alibaba.strategic": ["payment_openness"]})
    ali = m.platform("alibaba")
    closed = {k: list(v) for k, v in ali.accepts.items()}
    ali._start_trial(1.0)
    assert all(set(v) == set(m.market.wallets) for v in ali.accepts.values())  # opened on trial
    ali._judge_trial(0.5)
    assert ali.accepts == closed  # score fell: reverted
    ali._start_trial(1.0)
    ali._judge_trial(1.5)
    assert all(set(v) == set(m.market.wallets) for v in ali.accepts.values())  # score rose: kept
    m.step()
    wechat = m.market.wallets.index("wechat_pay")
    assert m.market.accepts[m.market.marketplaces.index("taobao"), wechat]


def test_mandated_openness_is_never_closed_again():
    m = model(**{"platforms.tencent.strategic": ["link_openness"], "platforms.tencent.strategy_interval": 2})
    tencent = m.platform("tencent")
    tencent.mandate("link_openness")
    for _ in range(12):
        m.step()
        assert tencent.admits_rival_links
    assert not tencent.admits_rival_apps  # links only: mini-programs are approved by events


def test_expected_fine_is_investigation_probability_times_fine():
    m = model(**{"regulator.mode": "ex_post", "regulator.strength": 0.5, "regulator.delay": 10_000})
    m.run_for(13)
    reg, ali, jd = m.regulator, m.platform("alibaba"), m.platform("jd")
    seen = m.observe()
    expected = reg.expected_fines(seen)
    prob = regulation.investigation_probability(reg.policy, seen.share["alibaba"], seen.complaints["alibaba"])
    assert 0 < prob < 1
    assert expected["alibaba"] == pytest.approx(prob * 0.04 * ali.annual_revenue())
    assert expected["jd"] == 0.0 and not regulation.violating(jd.policy, jd.cfg.social, int(m.time))  # no exclusivity
    plain = model()
    assert plain.regulator.expected_fines(plain.observe())["alibaba"] == 0.0  # no regulator, no expected fine


def test_a_certain_large_fine_makes_a_strategic_platform_drop_exclusivity():
    def exclusive_ticks(strategic: bool) -> int:
        ov = {"regulator.mode": "ex_post", "regulator.strength": 10, "regulator.psi0": 10,
              "regulator.delay": 10_000, "regulator.fine_rate": 0.1, "platforms.alibaba.strategy_interval": 2}
        if strategic:
            ov["platforms.alibaba.strategic"] = ["exclusivity"]
        m = model(**ov)
        ali = m.platform("alibaba")
        count = 0
        for _ in range(60):
            m.step()
            count += m.time > 30 and ali.exclusivity_in_force
        return count

    assert exclusive_ticks(strategic=False) == 30  # the walled garden stays without strategy
    assert exclusive_ticks(strategic=True) <= 15  # with it, exclusivity is only tried now and then (11 seen)


def test_strategic_scenario_runs_deterministically():
    a = WalledGardens(SCENARIOS / "strategic_platforms.toml", seed=3, overrides=SMALL, agents=False)
    b = WalledGardens(SCENARIOS / "strategic_platforms.toml", seed=3, overrides=SMALL, agents=False)
    a.run_for(40)
    b.run_for(40)
    assert a.results().equals(b.results())
    assert [p.exclusivity for p in a.platforms] == [p.exclusivity for p in b.platforms]
