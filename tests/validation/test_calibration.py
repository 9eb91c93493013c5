"""Calibration: the baseline stays within 3 percentage points of the 2016-2020 facts (DOMAIN.md).

Targets (end state, mean of the last 24 of 120 ticks): Alipay 54.5% and Tenpay
(WeChat Pay) 39% of payment value; at least 77% of consumers holding both
wallets; 98% yearly retention on Taobao.  The fit itself is ``python -m model.calibrate``.
"""

from __future__ import annotations

import pytest

from model import calibrate as cal
from model.config import load

TOLERANCE_PP = 3.0


@pytest.fixture(scope="module")
def baseline_outcome() -> dict:
    # seeds other than the ones used for fitting (1, 2, 3): an out-of-sample check
    return cal.measure(None, seeds=(21, 22), consumers=5000, steps=120)


@pytest.mark.parametrize("metric", list(cal.TARGETS) + list(cal.FLOORS))
def test_baseline_within_3pp_of_target(baseline_outcome, metric):
    dev = cal.deviations(baseline_outcome)[metric]
    assert abs(dev) <= TOLERANCE_PP, f"{metric}: {baseline_outcome[metric]:.3f} is {dev:+.2f} pp off\n" + \
        cal.report(baseline_outcome)


def test_payment_duopoly_holds_over_90_percent(baseline_outcome):
    """Alipay and WeChat Pay together hold over 90% of payments (92-94% in the data)."""
    total = baseline_outcome["pay_share_value_alipay"] + baseline_outcome["pay_share_value_wechat_pay"]
    assert 0.90 <= total <= 0.97


def test_baseline_keeps_its_walled_garden_structure():
    cfg = load(cal.BASELINE)
    ali, ten = cfg.platforms["alibaba"], cfg.platforms["tencent"]
    assert ali.exclusivity and not ten.admits_rival_links and not ten.admits_rival_apps
    assert "wechat_pay" not in ali.marketplaces["taobao"].accepts
    for name in ("jd", "pinduoduo", "meituan"):
        for m in cfg.platforms[name].marketplaces.values():
            assert "alipay" not in m.accepts
    assert cfg.regulator.mode == "off"


def test_calibrated_values_are_marked_in_the_scenario_file():
    text = cal.BASELINE.read_text()
    assert text.count("calibrated (model.calibrate") >= len(cal.FREE)


def test_distance_and_writer_roundtrip(tmp_path):
    """The distance is zero on target and the writer changes only the named values."""
    on_target = {**cal.TARGETS, **cal.FLOORS}
    assert cal.distance(on_target) == 0.0
    off = {**on_target, "pay_share_value_alipay": cal.TARGETS["pay_share_value_alipay"] + 0.02,
           "both_alipay_wechat_pay": 0.9}
    assert cal.distance(off) == pytest.approx((2.0**2 / (len(cal.TARGETS) + len(cal.FLOORS))) ** 0.5)
    path = tmp_path / "baseline.toml"
    path.write_text(cal.BASELINE.read_text())
    params = {"platforms.alibaba.wallet.appeal": 0.123, "consumer.p2p_value": 0.077,
              "platforms.alibaba.marketplaces.taobao.quality": 2.5, "consumer.market_revision": 0.33}
    cal.write_baseline(params, 1.23, path)
    cfg = load(path)
    assert cfg.platforms["alibaba"].wallet.appeal == 0.123
    assert cfg.platforms["alibaba"].wallet.name == "alipay"
    assert cfg.consumer.p2p_value == 0.077
    assert cfg.consumer.market_revision == 0.33
    assert cfg.platforms["alibaba"].marketplaces["taobao"].quality == 2.5
    assert cfg.platforms["tencent"].wallet.appeal == load(cal.BASELINE).platforms["tencent"].wallet.appeal


def test_search_runs_and_never_returns_worse_than_its_start(capsys):
    """A tiny fit (2 LHS points + 3 Nelder-Mead steps at 500 consumers) runs end to end via the CLI path."""
    fit = cal.calibrate(samples=2, refine=3, seeds=(1,), consumers=500, steps=20, verbose=False,
                        free={"consumer.p2p_value": (0.0, 0.3), "platforms.alibaba.wallet.appeal": (-0.5, 1.5)})
    start = fit.history[0][1]  # the scenario's current values are always evaluated first
    assert fit.distance <= start
    assert set(fit.params) == {"consumer.p2p_value", "platforms.alibaba.wallet.appeal"}
    assert fit.evaluations == len(fit.history) >= 3
    cal.main(["--check", "--seeds", "1", "--consumers", "500", "--steps", "20"])
    assert "distance (RMS, pp)" in capsys.readouterr().out
