"""Explorations: EXPLORE.toml checks, the workbench model against direct runs, the batch route,
posterior draws, PRIM / feature scores / Sobol indices, and the `explore` command."""

from __future__ import annotations

import dataclasses
import json
import warnings

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from model import batch, discovery, explore, explore_config
from model.cli import app
from model.config import ConfigError
from model.runner import simulate

from conftest import ROOT, SCENARIOS

warnings.filterwarnings("ignore", message=".*(ipyparallel|altair).*")
BASE = SCENARIOS / "baseline.toml"
TINY = '"size.consumers" = 300\n"size.merchants" = 30\n'


def write(tmp_path, body: str = "", *, uncertainties: str | None = None, levers: str | None = None,
          outcomes: str | None = None, name: str = "x.toml", head: str = "") -> object:
    """An exploration file over the baseline at a tiny size."""
    uncertainties = uncertainties if uncertainties is not None else (
        '"consumer.g_direct" = [0.5, 4.0]\n"consumer.switching_cost" = { low = 0.5, high = 4.0 }\n')
    levers = levers if levers is not None else 'payment_interop = { event = "payment_interop", tick = 8 }\n'
    outcomes = outcomes if outcomes is not None else (
        '[outcomes.gain]\nmetric = "reach_mean"\nlast = 4\nagainst = { payment_interop = false }\n'
        '[outcomes.alipay]\nmetric = "pay_share_value_alipay"\nlast = 4\n')
    text = (f'name = "tiny"\nscenario = "{BASE}"\nsteps = 16\n{head}\n[set]\n{TINY}\n[design]\nscenarios = 3\n'
            f'[uncertainties]\n{uncertainties}\n[levers]\n{levers}\n{outcomes}\n{body}')
    path = tmp_path / name
    path.write_text(text)
    return path


def test_the_shipped_exploration_is_valid():
    spec = explore_config.load(SCENARIOS / "explore" / "interop_robustness.toml")
    assert spec.scenario_path.resolve() == BASE.resolve() and spec.sampler == "lhs" and spec.n_scenarios == 200
    assert [p.kind for p in spec.levers] == ["event"] and spec.levers[0].event["action"] == "payment_interop"
    gain = next(o for o in spec.outcomes if o.name == "reach_gain")
    assert gain.metric == "reach_mean" and gain.against == {"payment_interop": False}
    assert spec.discovery.outcome == "reach_gain" and spec.discovery.below == 0.01
    assert all(p.kind == "real" and p.low < p.high for p in spec.uncertainties)


BAD = [
    (dict(uncertainties='"consumer.g_drect" = [0.5, 4.0]\n'), ['uncertainties."consumer.g_drect"',
                                                                "did you mean 'g_direct'", "allowed: ["]),
    (dict(uncertainties='"consumer.g_direct" = [4.0, 0.5]\n'), ['"consumer.g_direct"', "allowed: finite LOW < HIGH"]),
    (dict(uncertainties='"consumer.wallet_revision" = [0.1, 2.0]\n'), ["HIGH 2.0 is out of range",
                                                                        "allowed: 0 <= x <= 1"]),
    (dict(uncertainties='"platforms.alibab.exclusivity" = { values = [true, false] }\n'),
     ["unknown platform 'alibab'", "did you mean 'alibaba'"]),
    (dict(uncertainties='"size.seed" = [1, 5]\n'), ["size.seed", "cannot vary"]),
    (dict(uncertainties='"consumer.g_direct" = [1, 2, 3]\n'), ["allowed: [LOW, HIGH]"]),
    (dict(outcomes='[outcomes.r]\nmetric = "reach_maen"\n'), ["outcomes.r.metric", "unknown metric 'reach_maen'",
                                                              "did you mean 'reach_mean'"]),
    (dict(outcomes='[outcomes.r]\nmetric = "reach_mean"\nagainst = { payment_interopp = false }\n'),
     ["outcomes.r.against", "unknown lever", "allowed: ['payment_interop']"]),
    (dict(levers='payment_interop = { event = "payment_interp", tick = 8 }\n'),
     ["levers.payment_interop.event", "did you mean 'payment_interop'", "allowed: ["]),
    (dict(levers='ban = { event = "ban_exclusivity", tick = 8, target = "alibab" }\n', outcomes='[outcomes.r]\n'
          'metric = "reach_mean"\n'), ["levers.ban", "unknown platform 'alibab'", "allowed: ["]),
    (dict(head="replcations = 2\n"), ["unknown key", "did you mean 'replications'"]),
    (dict(body='[discovery]\noutcome = "gian"\nbelow = 0.01\n'), ["discovery.outcome", "did you mean 'gain'"]),
]


@pytest.mark.parametrize("kw,expected", BAD, ids=[str(i) for i in range(len(BAD))])
def test_bad_input_is_one_line_naming_file_key_and_allowed(tmp_path, kw, expected):
    path = write(tmp_path, **kw)
    with pytest.raises(ConfigError) as err:
        explore_config.load(path)
    msg = str(err.value)
    assert "\n" not in msg and msg.startswith(str(path))
    for part in expected:
        assert part in msg, msg


def test_posterior_draws_are_the_scenarios(tmp_path):
    draws = pd.DataFrame({"consumer.g_direct": [0.7, 1.1, 1.9, 2.6, 3.3], "consumer.switching_cost": [1, 2, 3, 2, 1]})
    draws.to_csv(tmp_path / "posterior.csv", index=False)
    path = write(tmp_path, '[posterior]\nfile = "posterior.csv"\n',
                 uncertainties='"merchant.multihoming_cost" = [0.0, 0.1]\n')
    spec = explore_config.load(path)
    assert list(spec.posterior.columns) == list(draws.columns)
    design = explore.make_design(spec)
    scen = design.scenarios
    assert list(scen.columns) == ["merchant.multihoming_cost", *draws.columns] and len(scen) == 3
    rows = {tuple(r) for r in draws.to_numpy()}
    picked = [tuple(r) for r in scen[list(draws.columns)].to_numpy()]
    assert set(picked) <= rows and len(set(picked)) == 3  # distinct draws, whole rows kept together
    assert explore.make_design(spec).scenarios.equals(scen)  # seeded
    ov = explore.overrides_for(spec, {**scen.iloc[0].to_dict(), "payment_interop": True})
    cfg = explore.run_config(spec, ov)
    assert cfg.consumer.g_direct == scen.iloc[0]["consumer.g_direct"] and cfg.events[-1].action == "payment_interop"
    # a posterior column that is no config key, or draws out of bounds, are one line each
    pd.DataFrame({"consumer.g_drect": [1.0]}).to_csv(tmp_path / "bad.csv", index=False)
    with pytest.raises(ConfigError, match=r"posterior column 'consumer.g_drect'.*did you mean 'g_direct'"):
        explore_config.load(write(tmp_path, '[posterior]\nfile = "bad.csv"\n', name="b.toml"))
    pd.DataFrame({"consumer.wallet_revision": [0.5, 3.0]}).to_csv(tmp_path / "far.csv", index=False)
    with pytest.raises(ConfigError, match=r"draws from 0.5 to 3; allowed: 0 <= x <= 1"):
        explore_config.load(write(tmp_path, '[posterior]\nfile = "far.csv"\n', name="c.toml"))
    with pytest.raises(ConfigError, match=r"design.sampler.*'sobol' needs independent ranges"):
        explore_config.load(_sobol_with_posterior(tmp_path))


def _sobol_with_posterior(tmp_path):
    path = write(tmp_path, '[posterior]\nfile = "posterior.csv"\n', name="e.toml",
                 uncertainties='"merchant.multihoming_cost" = [0.0, 0.1]\n')
    path.write_text(path.read_text().replace("[design]\n", '[design]\nsampler = "sobol"\n'))
    return path


def _direct(spec, values: dict, seed: int) -> dict:
    cfg = explore.run_config(spec, explore.overrides_for(spec, values))
    return explore.outcome_stats(simulate(cfg, steps=spec.steps, seed=seed)[0], spec.outcomes)


def test_perform_experiments_equals_direct_runs(tmp_path):
    """The workbench samples scenarios and policies itself; each outcome is the mean over the seeds of
    the same run made directly."""
    from ema_workbench import perform_experiments

    spec = dataclasses.replace(explore_config.load(write(tmp_path, head="replications = 2\n")), replications=2)
    model = explore.workbench_model(spec)
    seeds = [r["seed"] for r in model.replications]
    assert seeds == [batch.derive_seed(spec.seed, "tiny", r, common=True) for r in range(2)]
    experiments, outcomes = perform_experiments(model, scenarios=3, policies=2)
    assert len(experiments) == 6 and set(outcomes) == {"gain", "alipay"}
    for i, row in experiments.iterrows():
        values = {"consumer.g_direct": row["consumer_g_direct"], "consumer.switching_cost": row["consumer_switching_cost"],
                  "payment_interop": bool(row["payment_interop"])}
        direct = [_direct(spec, values, s) for s in seeds]
        for name in ("gain", "alipay"):
            assert outcomes[name][i] == pytest.approx(np.mean([d[name] for d in direct]), rel=0, abs=0)


def test_batch_route_equals_workbench_route_and_resumes(tmp_path):
    spec = explore_config.load(write(tmp_path))
    design = explore.make_design(spec)
    wb = explore.run_workbench(spec, design=design)
    table, res = explore.run_batch_route(spec, tmp_path / "out", workers=2, design=design)
    names = ["gain", "alipay"]
    assert res.done == 6 and not res.failed
    assert np.array_equal(wb[names].to_numpy(), table[names].to_numpy())
    # the effect is paired: the same scenario and seed without the event
    for _, row in table.iterrows():
        direct = _direct(spec, row.to_dict(), design.seeds[0])
        ref = _direct(spec, {**row.to_dict(), "payment_interop": False}, design.seeds[0])
        assert row["gain"] == direct["gain"] - ref["gain"] and row["alipay"] == direct["alipay"]
        assert row["gain.reference"] == (not row["payment_interop"])
    runs = batch.load_results(tmp_path / "out", ["run_id", "seed", "param.consumer.g_direct", "param.payment_interop"])
    assert runs["seed"].nunique() == 1 and runs["param.payment_interop"].dtype == bool
    again, res2 = explore.run_batch_route(spec, tmp_path / "out", workers=1, design=design)
    assert res2.skipped == 6 and res2.done == 0 and again[names].equals(table[names])


def test_prim_finds_the_box_and_feature_scores_rank_inputs():
    rng = np.random.default_rng(3)
    x = pd.DataFrame({"a": rng.uniform(0, 1, 600), "b": rng.uniform(0, 1, 600), "c": rng.uniform(0, 1, 600)})
    y = (x["a"] > 0.6) & (x["b"] < 0.5)
    boxes = discovery.prim_boxes(x, y.to_numpy(), density=0.8, boxes=2)
    first = boxes[0]
    lims = {lim["name"]: lim for lim in first["limits"]}
    assert set(lims) == {"a", "b"} and first["density"] >= 0.8 and first["coverage"] > 0.7
    assert lims["a"]["min"] == pytest.approx(0.6, abs=0.06) and lims["b"]["max"] == pytest.approx(0.5, abs=0.06)
    assert first["coverage"] == max(c for c, d in zip(first["trajectory"]["coverage"], first["trajectory"]["density"])
                                    if d >= 0.8)
    assert discovery.box_text(first).startswith("a >= 0.") and " and b <= 0." in discovery.box_text(first)
    assert discovery.prim_boxes(x, np.zeros(600, bool)) == []
    scores = discovery.feature_scores(x, (3 * x["a"] + 0.2 * x["b"]).to_numpy(), seed=1)
    assert max(scores, key=scores.get) == "a" and scores["c"] < scores["b"] < scores["a"]


def test_sobol_indices_of_a_linear_function():
    from model.explore_config import Param

    params = [Param("a", "real", low=0.0, high=1.0), Param("b", "real", low=0.0, high=1.0)]
    x = explore._sample(params, 1024, "sobol", np.random.default_rng(0))
    assert len(x) == 1024 * 4
    ix = discovery.sobol_indices(["a", "b"], (2 * x["a"] + x["b"]).to_numpy(), seed=0)
    assert ix["S1"]["a"] == pytest.approx(0.8, abs=0.05) and ix["ST"]["b"] == pytest.approx(0.2, abs=0.05)


runner = CliRunner()


def test_explore_command_sobol_design_end_to_end(tmp_path):
    path = write(tmp_path, '[discovery]\noutcome = "gain"\nbelow = 0.01\n')
    path.write_text(path.read_text().replace("[design]\nscenarios = 3", '[design]\nsampler = "sobol"\nscenarios = 2'))
    res = runner.invoke(app, ["explore", str(path), "--out", str(tmp_path / "o"), "--workers", "1", "--no-progress"])
    assert res.exit_code == 0, res.output
    assert "explore" in res.output and "have gain < 0.01" in res.output and "report:" in res.output
    info = json.loads((tmp_path / "o" / "explore.json").read_text())
    assert info["scenarios"] == 2 * 4 and info["experiments"] == 16 and info["sampler"] == "sobol"
    found = json.loads((tmp_path / "o" / "discovery.json").read_text())
    assert set(found["sobol"]["alipay"]) == {"payment_interop=False", "payment_interop=True"}
    assert set(found["sobol"]["gain"]) == {"payment_interop=True"}  # the reference policy's effect is zero
    assert set(found["feature_scores"]["alipay"]) <= {"consumer.g_direct", "consumer.switching_cost", "payment_interop"}
    table = pd.read_parquet(tmp_path / "o" / "experiments.parquet")
    assert len(table) == 16 and table["gain"].notna().all()
    html = (tmp_path / "o" / "report.html").read_text()
    assert "Sobol indices" in html and "Feature scores" in html


def test_explore_command_errors_are_one_line(tmp_path):
    bad = write(tmp_path, uncertainties='"consumer.g_drect" = [0.5, 4.0]\n')
    for args, part in ((["explore", str(bad)], "did you mean 'g_direct'"),
                       (["explore", str(tmp_path / "none.toml")], "none.toml: file not found"),
                       (["explore", str(bad), "--route", "ema"], "allowed: ['batch', 'workbench']")):
        res = runner.invoke(app, args)
        assert res.exit_code == 2, res.output
        lines = res.output.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: ") and part in lines[0], res.output


def test_workbench_route_of_the_command(tmp_path):
    path = write(tmp_path, '[discovery]\noutcome = "gain"\nbelow = 0.01\n')
    res = runner.invoke(app, ["explore", str(path), "--out", str(tmp_path / "w"), "--route", "workbench",
                              "--workers", "1", "--no-report", "--no-progress"])
    assert res.exit_code == 0, res.output
    info, table, found = explore.read_exploration(tmp_path / "w")
    assert info["route"] == "workbench" and not (tmp_path / "w" / "runs").exists()
    assert found["prim"]["experiments"] == 3 and len(table) == 6
    assert (ROOT / "scenarios" / "explore" / "interop_robustness.toml").is_file()
