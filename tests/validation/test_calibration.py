"""Calibration (issue 11): the dated history, its measurement model, the ABC-SMC posterior and the
swing bound.  The fit itself is ``python -m model.calibrate``; its stored posterior is under
``calibration/``.
"""

from __future__ import annotations

import functools
import json
import re

import numpy as np
import pandas as pd
import pytest

from model import calibrate as cal
from model import swings
from model.calibration_data import FIT_UNTIL, OBSERVATIONS
from model.config import load

POSTERIOR = cal.OUT / "posterior.csv"
UNSEEN_SEEDS = (311, 312, 313, 314)  # seeds neither the fit nor --check used
TOLERANCE_PP = 3.0  # the in-sample share and buyer points, per seed-mean of the posterior median


# --------------------------------------------------------------------------- the data and the distance
def test_observations_split_into_fit_and_hold_out():
    fitted = [ob for ob in OBSERVATIONS if ob.in_sample]
    held = [ob for ob in OBSERVATIONS if not ob.in_sample]
    assert all(ob.ticks[1] <= FIT_UNTIL for ob in fitted if ob.source != "evidence_bound")
    assert all(ob.ticks[1] > FIT_UNTIL for ob in held)
    assert {"analysys", "iresearch", "iresearch2", "nbs", "pinduoduo"} <= {ob.source for ob in fitted}
    assert {"survey", "samr", "pinduoduo", "iresearch"} <= {ob.source for ob in held}
    assert len({ob.name for ob in OBSERVATIONS}) == len(OBSERVATIONS)


def test_distance_is_zero_on_the_data_and_one_sided_where_stated():
    on_data = {ob.name: ob.value for ob in OBSERVATIONS}
    assert cal.distance(on_data) == 0.0 and cal.distance(on_data, in_sample=False) == 0.0
    swing = next(ob for ob in OBSERVATIONS if ob.kind == "at_most")
    both = next(ob for ob in OBSERVATIONS if ob.kind == "at_least")
    assert cal.deviation(swing, swing.value - 0.03) == 0.0  # a smaller swing is no miss
    assert cal.deviation(swing, swing.value + 0.02) == pytest.approx(0.02 / swing.sd)
    assert cal.deviation(both, both.value + 0.1) == 0.0
    n_in = sum(ob.in_sample for ob in OBSERVATIONS)
    off = {**on_data, OBSERVATIONS[0].name: OBSERVATIONS[0].value + 2 * OBSERVATIONS[0].sd}
    assert cal.distance(off) == pytest.approx((4.0 / n_in) ** 0.5)
    # synthetic data replace the observed values (recovery tests)
    assert cal.distance(on_data, observed={k: v + 0.0 for k, v in on_data.items()}) == 0.0
    assert cal.distance(on_data, observed={OBSERVATIONS[0].name: OBSERVATIONS[0].value + 0.01}) > 0


@pytest.fixture(scope="module")
def small_history() -> pd.DataFrame:
    mid = {k: (lo + hi) / 2 for k, (lo, hi) in cal.PRIORS.items()}
    return cal.simulate(mid, seed=5, consumers=1500, steps=cal.STEPS)


def test_penalised_distance_counts_only_swings_over_the_bound():
    """The point's criterion (model.calibration_point): each scenario's swing is one more at-most
    observation of the 5 pp bound, so swings within it leave the ABC distance as it is."""
    from model import calibration_point as cp

    n = sum(ob.in_sample for ob in OBSERVATIONS)
    assert cp.penalised(2.0, {"a": 0.04, "b": swings.LIMIT}) == pytest.approx(np.sqrt(n * 4.0 / (n + 2)))
    over = (0.07 - swings.LIMIT) / cp.BOUND_SD
    assert cp.penalised(2.0, {"a": 0.07, "b": 0.01}) == pytest.approx(np.sqrt((n * 4.0 + over ** 2) / (n + 2)))


def test_the_previous_point_is_a_candidate_and_wins_when_its_penalised_distance_is_least(monkeypatch):
    """--select-point: the stored point competes with the best particles (the history does not pin
    the adjustment speeds, so a refit's particles may all swing over the bound); one outside the
    priors does not."""
    import contextlib

    from model import batch
    from model import calibration_point as cp

    mid = {k: (lo + hi) / 2 for k, (lo, hi) in cal.PRIORS.items()}
    first = next(iter(cal.PRIORS))
    population = pd.DataFrame([{**mid, first: mid[first] + 0.01 * i, "weight": 1.0, "distance": 1.0 + i}
                               for i in range(cp.K + 3)])
    previous = {**mid, first: cal.PRIORS[first][0]}  # on the prior's edge: inside
    score = lambda p: 0.5 if p == previous else 3.0 + p[first]  # noqa: E731
    monkeypatch.setattr(batch, "open_executor", lambda *a: contextlib.nullcontext((None, None)))
    monkeypatch.setattr(cp, "_evaluate", lambda ex, p, *a: {"distance": score(p), "largest_swing": 0.0,
                                                          "penalised": score(p), "swings": {n: 0.0 for n in cp.SCENARIOS}})
    monkeypatch.setattr(cp, "refine", lambda start, objective, n: (dict(start), pd.DataFrame({"penalised": [score(start)]})))
    point, table = cp.select(population, previous=previous)
    assert len(table) == cp.K + 2 and table["source"].tolist()[-2:] == ["previous point", "previous point refined (1 evaluations)"]
    assert point == previous and table.loc[table["chosen"], "source"].iloc[0] == "previous point"
    point, table = cp.select(population, previous={**previous, first: cal.PRIORS[first][0] - 1})
    assert len(table) == cp.K + 1 and "previous point" not in set(table["source"])
    assert point == {k: float(population.loc[0, k]) for k in cal.PRIORS}


def test_refinement_finds_an_interior_minimum_within_the_priors():
    """Nelder-Mead over the priors' box, from a corner-ward start, on a bowl with a known minimum."""
    from model import calibration_point as cp

    names = list(cal.PRIORS)
    lo, hi = (np.array([cal.PRIORS[k][i] for k in names]) for i in (0, 1))
    target = dict(zip(names, lo + 0.3 * (hi - lo)))
    start = dict(zip(names, lo + 0.6 * (hi - lo)))

    def bowl(p):
        return {"penalised": float(sum(((p[k] - target[k]) / (h - l)) ** 2 for k, l, h in zip(names, lo, hi)))}

    best, trace = cp.refine(start, bowl, evaluations=1500)
    assert trace["penalised"].iloc[0] == pytest.approx(bowl(start)["penalised"])
    assert bowl(best)["penalised"] < 0.01 * bowl(start)["penalised"]
    assert all(cal.PRIORS[k][0] <= v <= cal.PRIORS[k][1] for k, v in best.items())
    target = dict(zip(names, lo + 1.3 * (hi - lo)))  # beyond the box: the best lies on its edge
    best, _ = cp.refine(start, bowl, evaluations=600)
    assert all(cal.PRIORS[k][0] <= v <= cal.PRIORS[k][1] for k, v in best.items())
    assert min((best[k] - l) / (h - l) for k, l, h in zip(names, lo, hi)) > 0.9


def test_measurement_model_spans_commerce_only_to_all_transfers(small_history):
    df = small_history
    for w in ("alipay", "wechat_pay"):
        all_value = cal.measured_share(df, w, 1.0)
        assert np.allclose(all_value, df[f"pay_share_value_{w}"], atol=1e-9)
    commerce = cal.measured_share(df, "alipay", 0.0)
    half = cal.measured_share(df, "alipay", 0.5)
    lo, hi = np.minimum(commerce, df["pay_share_value_alipay"]), np.maximum(commerce, df["pay_share_value_alipay"])
    assert ((half >= lo - 1e-9) & (half <= hi + 1e-9)).all()  # the scope moves the share monotonically
    wallets = [c.removeprefix("pay_value_commerce_") for c in df if c.startswith("pay_value_commerce_")]
    assert np.allclose(sum(cal.measured_share(df, w, 0.3) for w in wallets), 1.0)


def test_history_enters_markets_by_events(small_history):
    cfg = load(cal.HISTORY)
    assert cfg.platforms["pinduoduo"].marketplaces["pinduoduo"].enters_at == 8  # September 2015
    df = small_history
    assert (df["buyers_pinduoduo"].loc[:7] == 0).all() and df["buyers_pinduoduo"].loc[12] > 0
    assert np.isfinite(df.attrs["largest_swing"])
    p = cal.predict(df, {"measurement.scope_iresearch2": 0.5})
    assert set(p) == {ob.name for ob in OBSERVATIONS} and all(np.isfinite(v) for v in p.values())


# --------------------------------------------------------------------------- the stored posterior
@pytest.fixture(scope="module")
def posterior() -> pd.DataFrame:
    assert POSTERIOR.exists(), "calibration/posterior.csv is missing: run python -m model.calibrate"
    return cal.load_posterior(POSTERIOR)


def test_posterior_loads_and_lies_within_its_priors(posterior):
    meta = json.loads((cal.OUT / "posterior.json").read_text())
    assert len(posterior) == 200 and meta["consumers"] == cal.CONSUMERS and meta["seed"] == cal.SEED
    assert meta["priors"] == {k: list(v) for k, v in cal.PRIORS.items()}
    params = cal.tied(posterior)
    assert list(params.columns) == list(cal.PRIORS)
    for key, (lo, hi) in cal.PRIORS.items():
        assert params[key].between(lo, hi).all(), key
        for k in key.split("|"):  # tied keys carry one value
            assert np.array_equal(posterior[k], params[key])
    assert meta["seconds"] <= 30 * 60 and meta["workers"] == 2  # the 30-minute budget on 2 cores


def test_posterior_draws_are_valid_configs(posterior):
    """Every stored draw loads as a config of the history (and of the baseline) without error."""
    params = cal.tied(posterior)
    for i in range(0, len(params), 10):
        ov = cal.config_overrides(params.iloc[i].to_dict())
        cfg = load(cal.HISTORY, overrides=ov)
        assert cfg.consumer.checkout_default == pytest.approx(ov["consumer.checkout_default"])
        load(cal.BASELINE, overrides={k: v for k, v in ov.items() if "outside_trend" not in k})


def test_baseline_holds_the_calibrated_point(posterior):
    """The scenarios run at the candidate of least penalised distance on unseen seeds: a particle of
    the last generation, the previous point, or one refined from either (model.calibration_point)."""
    from model import calibration_point

    point = calibration_point.load_point(cal.OUT)
    assert set(point) == set(cal.PRIORS)
    table = pd.DataFrame(json.loads((cal.OUT / "point.json").read_text())["table"])
    chosen = table[table["chosen"]]
    assert len(chosen) == 1 and chosen.index[0] == table["unseen_penalised"].idxmin()
    assert (chosen[list(cal.PRIORS)].iloc[0] - pd.Series(point)).abs().max() < 1e-6
    pop = pd.read_csv(cal.OUT / "population.csv")
    is_particle = ((pop[list(cal.PRIORS)] - pd.Series(point)).abs().max(axis=1) < 1e-6).any()
    source = chosen["source"].iloc[0]
    if source == "particle":
        assert is_particle
    else:
        assert re.fullmatch(r"(particle \d+|previous point)( refined \(\d+ evaluations\))?", source)
    for key, (lo, hi) in cal.PRIORS.items():
        assert lo <= point[key] <= hi
    cfg = load(cal.BASELINE)
    assert cfg.consumer.checkout_default == pytest.approx(point["consumer.checkout_default"], rel=1e-3)
    assert cfg.consumer.wallet_revision == pytest.approx(point["consumer.wallet_revision"], rel=1e-3)
    appeal = point["platforms.alibaba.wallet.appeal|platforms.tencent.wallet.appeal"]
    assert cfg.platforms["alibaba"].wallet.appeal == pytest.approx(appeal, rel=1e-3, abs=1e-4)
    assert cfg.platforms["tencent"].wallet.appeal == pytest.approx(appeal, rel=1e-3, abs=1e-4)
    assert cfg.consumer.outside_trend == 0.0  # online growth belongs to the history, not the steady state
    assert load(cal.HISTORY).consumer.outside_trend == pytest.approx(point["consumer.outside_trend"], rel=1e-3)


@pytest.fixture(scope="module")
def unseen_history(posterior) -> dict[str, float]:
    """The calibrated point's predictions, averaged over four seeds neither the fit nor the choice of
    the point used."""
    from model import calibration_point

    point = calibration_point.load_point(cal.OUT)
    preds = [cal.predict(cal.simulate(point, s), point) for s in UNSEEN_SEEDS]
    return {k: float(np.mean([p[k] for p in preds])) for k in preds[0]}


@pytest.mark.parametrize("ob", OBSERVATIONS, ids=lambda ob: ob.name)
def test_history_within_stated_error_on_unseen_seeds(unseen_history, ob):
    """Every data point, in sample and out, stays within the error the README states for the
    calibrated point (``calibration/errors_point.csv``, written by ``--check --point`` from seeds
    101-108), give or take 1.5 pp of seed noise on four other seeds."""
    stated = pd.read_csv(cal.OUT / "errors_point.csv").set_index("observation")["miss"]
    miss = cal.deviation(ob, unseen_history[ob.name]) * ob.sd
    assert abs(miss - stated[ob.name]) <= 0.015, \
        f"{ob.name}: model {unseen_history[ob.name]:.3f}, miss {miss:+.3f} against the stated {stated[ob.name]:+.3f}"


# --------------------------------------------------------------------------- the method
@pytest.fixture(scope="module")
def recovery():
    """A reduced ABC on synthetic data from known parameters (2,000 consumers, to the end of 2018)."""
    truth = {"consumer.outside_utility": 6.5, "consumer.p2p_value": 0.15}
    free = {"consumer.outside_utility": (4.5, 8.5), "consumer.p2p_value": (0.0, 0.4)}
    mid = {k: (lo + hi) / 2 for k, (lo, hi) in cal.PRIORS.items() if k not in free}
    steps, consumers = FIT_UNTIL + 1, 2000
    scenario = cal.HISTORY
    observed = cal.predict(cal.simulate({**mid, **truth}, 99, consumers, steps), {**mid, **truth})

    class Fixed(cal._Simulation):  # the other parameters held at their prior midpoints
        def __call__(self, pars):
            params = {**mid, **{k: float(pars[k]) for k in pars}}
            seed = int(np.random.randint(0, 2**62))
            return cal.predict(cal.simulate(params, seed, self.consumers, self.steps, self.scenario), params)

    runs = []
    for workers in (1, 2):
        history, _ = cal.fit(seed=7, population=40, generations=3, consumers=consumers, steps=steps,
                             workers=workers, free=free, observed=observed, verbose=False,
                             simulation=Fixed(consumers, steps, str(scenario)))
        runs.append(history.get_distribution())
    return truth, free, runs


def _weighted_quantile(x: np.ndarray, w: np.ndarray, q: float) -> float:
    order = np.argsort(x)
    cum = np.cumsum(w[order]) / np.sum(w)
    return float(x[order][np.searchsorted(cum, q)])


def test_reduced_abc_recovers_known_parameters(recovery):
    """The truth lies in the posterior's 90% interval, and the posterior is narrower than the prior."""
    truth, free, runs = recovery
    frame, w = runs[0]
    w = np.asarray(w, dtype=float)
    for key, value in truth.items():
        lo, hi = free[key]
        x = frame[key].to_numpy()
        q05, q95 = _weighted_quantile(x, w, 0.05), _weighted_quantile(x, w, 0.95)
        assert q05 <= value <= q95, f"{key}: truth {value} outside the 90% interval [{q05:.3f}, {q95:.3f}]"
        assert q95 - q05 < 0.8 * 0.9 * (hi - lo), f"{key}: 90% interval [{q05:.3f}, {q95:.3f}] barely narrower than the prior's"


def test_abc_posterior_is_the_same_with_one_or_two_workers(recovery):
    _, _, ((f1, w1), (f2, w2)) = recovery
    cols = sorted(f1.columns)
    a = f1[cols].assign(w=np.asarray(w1)).sort_values(cols).to_numpy()
    b = f2[cols].assign(w=np.asarray(w2)).sort_values(cols).to_numpy()
    assert np.allclose(a, b)


def test_write_baseline_changes_only_the_named_values(tmp_path):
    path = tmp_path / "baseline.toml"
    path.write_text(cal.BASELINE.read_text())
    draws = pd.DataFrame({"platforms.alibaba.wallet.appeal": [0.1, 0.123, 0.2], "consumer.p2p_value": [0.077] * 3,
                          "platforms.alibaba.marketplaces.taobao.quality": [2.5] * 3,
                          "consumer.outside_trend": [-0.01] * 3, "measurement.scope_iresearch2": [0.3] * 3})
    hist = tmp_path / "history.toml"
    hist.write_text(cal.HISTORY.read_text().replace('extends = "baseline.toml"', f'extends = "{cal.BASELINE}"'))
    cal.write_baseline(draws, path, history=hist)
    cfg, before = load(path), load(cal.BASELINE)
    assert load(hist).consumer.outside_trend == -0.01 and "measurement" not in hist.read_text()
    assert cfg.platforms["alibaba"].wallet.appeal == 0.123 and cfg.platforms["alibaba"].wallet.name == "alipay"
    assert cfg.consumer.p2p_value == 0.077
    assert cfg.platforms["alibaba"].marketplaces["taobao"].quality == 2.5
    assert cfg.consumer.outside_trend == before.consumer.outside_trend
    assert cfg.platforms["tencent"].wallet.appeal == before.platforms["tencent"].wallet.appeal


# --------------------------------------------------------------------------- the swing bound, every scenario
@functools.cache
def _largest_swing(scenario: str) -> dict:
    return swings.largest_of(str(cal.ROOT / "scenarios" / scenario), 100, 20000)


# scenarios whose largest 6-month swing (20,000 consumers, seed 100; `python -m model.swings`) still
# exceeds the evidence bound: known defects of the adjustment speed (issue 11 open, README)
# (re-measured at the point refitted with the per-marketplace checkout habit, 2026-12-04)
OVER_THE_BOUND = {"full_openness.toml": 0.058, "payment_interop.toml": 0.051}


@pytest.mark.parametrize("scenario", [
    pytest.param(name, marks=pytest.mark.xfail(strict=True, reason=f"swing {OVER_THE_BOUND[name]:.3f} > 0.05 (issue 11)"))
    if name in OVER_THE_BOUND else name for name in sorted(p.name for p in cal.ROOT.glob("scenarios/*.toml"))])
def test_no_scenario_swings_more_than_the_evidence_allows(scenario):
    """Within six months of any event, no value share moves by more than 5 pp (model.swings)."""
    worst = _largest_swing(scenario)
    assert worst["swing"] <= swings.LIMIT, \
        f"{scenario}: {worst['wallet']} moves {worst['move']:+.3f} within 6 months of tick {worst['tick']}"


@pytest.mark.parametrize("scenario", sorted(OVER_THE_BOUND))
def test_known_swings_do_not_grow(scenario):
    """The scenarios over the bound stay at most where they were measured (a guard while issue 11 is open)."""
    assert _largest_swing(scenario)["swing"] <= OVER_THE_BOUND[scenario] + 0.001
