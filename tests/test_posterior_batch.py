"""Batches over posterior draws (`walled-gardens batch --posterior N`, model/posterior.py) and the
report's intervals over draws x seeds (parameter uncertainty and seed noise)."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from model import batch, explore_config, posterior, report
from model import config as config_mod
from model.cli import app

REPO = Path(__file__).resolve().parent.parent
BASE = REPO / "scenarios" / "baseline.toml"
TINY = {"size.consumers": 300, "size.merchants": 30}
TINY_ARGS = ["--set", "size.consumers=300", "--set", "size.merchants=30"]
STEPS, REPS, N = 6, 2, 3
P2P, TAOBAO = "consumer.p2p_value", "platforms.alibaba.marketplaces.taobao.quality"
SCOPE, TREND = "measurement.scope_iresearch2", "consumer.outside_trend"
PARAM_LABEL = "95% range over posterior draws x seeds (parameter + seed)"
SEED_LABEL = "95% CI of the mean over seeds"


def write_draws(path: Path, **change) -> Path:
    """Six draws of two scenario keys and two history-only columns."""
    df = pd.DataFrame({P2P: [0.05, 0.10, 0.15, 0.20, 0.25, 0.30], TAOBAO: [1.5, 2.0, 2.5, 3.0, 1.2, 2.2],
                       SCOPE: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6], TREND: [-0.01, -0.02, -0.03, -0.01, -0.02, -0.03]})
    for k, v in change.items():
        df[k] = v
    df.to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> tuple[Path, Path]:
    d = tmp_path_factory.mktemp("post")
    other = d / "interop_early.toml"  # an effect inside a short run
    other.write_text(f'extends = "{BASE}"\nname = "interop_early"\n'
                     '[[events]]\ntick = 1\naction = "payment_interop"\nnote = "early"\n')
    return write_draws(d / "posterior.csv"), other


def make_plan(csv: Path, other: Path, seed: int = batch.MASTER_SEED, **kw) -> batch.Plan:
    post = posterior.load(csv, N, seed)
    return batch.plan([BASE, other], REPS, steps=STEPS, master_seed=seed, overrides={**TINY, **kw},
                      common_seeds=True, posterior=post)


@pytest.fixture(scope="module")
def done(files, tmp_path_factory) -> tuple[Path, batch.Plan]:
    p = make_plan(*files)
    out = tmp_path_factory.mktemp("batch")
    with ThreadPoolExecutor(2) as ex:
        batch.run_batch(p, out, executor=ex, progress=False)
    report.build_report(out)
    return out, p


def test_each_scenario_runs_n_draws_times_r_replications_with_the_draws_values(files):
    csv, other = files
    p = make_plan(csv, other, **{P2P: 0.33})  # --set wins over the draw
    draws = pd.read_csv(csv)
    rows = p.posterior.rows
    assert len(rows) == N == len(set(rows)) and p.posterior.columns == [P2P, TAOBAO]
    assert p.posterior.skipped == [SCOPE, TREND]
    for name in ("baseline", "interop_early"):
        specs = [s for s in p.specs if s.scenario == name]
        assert len(specs) == N * REPS and {(s.replication, s.draw) for s in specs} == {
            (r, d) for r in range(REPS) for d in range(N)}
        assert {s.group for s in specs} == {name}
    assert len({s.run_id for s in p.specs}) == len(p.specs)  # a run id per draw
    for s in p.specs:
        cfg = config_mod.validate(batch.apply_overrides(s.config, s.overrides))
        taobao = cfg.platforms["alibaba"].marketplaces["taobao"].quality
        assert taobao == draws[TAOBAO][rows[s.draw]] and cfg.consumer.p2p_value == 0.33
        assert not any(k.startswith("measurement.") or k == TREND for k in s.overrides)
        assert cfg.consumer.outside_trend == config_mod.validate(s.config).consumer.outside_trend
    # the same draws and seeds for every scenario (effects paired), from the master seed alone
    by = {(s.scenario, s.replication, s.draw): s for s in p.specs}
    for (name, r, d), s in by.items():
        twin = by[("baseline", r, d)]
        assert s.seed == twin.seed and s.overrides == twin.overrides
    again = make_plan(csv, other, **{P2P: 0.33})
    assert [(s.run_id, s.seed) for s in again.specs] == [(s.run_id, s.seed) for s in p.specs]
    assert posterior.choose_rows(6, N, 1) != posterior.choose_rows(6, N, 2)
    assert posterior.choose_rows(6, 5, 7)[:N] == posterior.choose_rows(6, N, 7)  # more draws keep the first


def test_runs_record_the_draw_and_the_manifest_the_posterior(done, files):
    out, p = done
    df = batch.load_results(out, ["run_id", "scenario", "replication", "draw", "tick", "holds_alipay"])
    assert df.run_id.nunique() == 2 * N * REPS and set(df.draw) == set(range(N))
    end = df[df.tick == STEPS].groupby(["scenario", "draw"]).holds_alipay.mean()
    assert end.loc["baseline"].nunique() > 1  # the draws change the runs
    manifest = json.loads((out / "manifest.json").read_text())
    post = manifest["posterior"]
    assert post["file"] == str(files[0]) and post["rows"] == p.posterior.rows and post["draws"] == N
    assert post["columns"] == [P2P, TAOBAO] and len(post["sha256"]) == 64
    assert {r["run_id"]: r["draw"] for r in manifest["runs"]} == {s.run_id: s.draw for s in p.specs}
    assert "posterior draw" in manifest["seed_scheme"]
    assert list(pd.read_csv(out / "timeseries.csv").columns[:6]) == [
        "scenario", "group", "replication", "seed", "draw", "tick"]


def test_intervals_are_the_range_over_draws_and_seeds_and_say_so(done):
    out, _ = done
    ends = batch.load_results(out, ["scenario", "replication", "draw", "tick", "reach_mean"])
    ends = ends[ends.tick == STEPS]
    summary = pd.read_csv(out / "summary.csv")
    assert (summary.interval == PARAM_LABEL).all()
    row = summary[(summary.group == "baseline") & (summary.metric == "reach_mean")].iloc[0]
    v = ends[ends.scenario == "baseline"].reach_mean.to_numpy()
    assert row.n == N * REPS and (row.ci_lo, row.ci_hi) == pytest.approx(tuple(np.percentile(v, [2.5, 97.5])))
    # effects: paired by (replication, draw), the range of the paired differences
    w = ends.pivot(index=["replication", "draw"], columns="scenario", values="reach_mean")
    d = (w["interop_early"] - w["baseline"]).to_numpy()
    eff = pd.read_csv(out / "effects.csv")
    assert (eff.interval == PARAM_LABEL).all()
    e = eff[eff.metric == "reach_mean"].iloc[0]
    assert e.n == N * REPS and bool(e.paired) and e["diff"] == pytest.approx(d.mean())
    assert (e.lo, e.hi) == pytest.approx(tuple(np.percentile(d, [2.5, 97.5])))
    # the band over time is the range too
    _, stats, _, _ = report.collect(out)
    g = next(s for s in stats if s.group == "baseline")
    t3 = batch.load_results(out, ["scenario", "tick", "reach_mean"])
    t3 = t3[(t3.scenario == "baseline") & (t3.tick == 3)].reach_mean.to_numpy()
    s3 = g.series[g.series.tick == 3].iloc[0]
    assert (s3.reach_mean_lo, s3.reach_mean_hi) == pytest.approx(tuple(np.percentile(t3, [2.5, 97.5])))
    text = (out / "report.html").read_text()
    words = f"95% range over {N} posterior draws x {REPS} seeds"
    assert f"{words} (parameter uncertainty and seed noise)" in text
    assert f"(in brackets: {words}; parameter uncertainty and seed noise)." in text  # every sentence says so
    assert "not a confidence interval of their mean" in text and "seed noise only" not in text


def test_without_a_posterior_the_labels_say_seed_noise_only(tmp_path, files):
    p = batch.plan([BASE, files[1]], 2, steps=3, overrides=TINY, common_seeds=True)
    assert all(s.draw is None for s in p.specs)
    with ThreadPoolExecutor(2) as ex:
        batch.run_batch(p, tmp_path, executor=ex, progress=False)
    text = report.build_report(tmp_path).read_text()
    assert (pd.read_csv(tmp_path / "summary.csv").interval == SEED_LABEL).all()
    assert (pd.read_csv(tmp_path / "effects.csv").interval == SEED_LABEL).all()
    assert "(in brackets: 95% confidence interval of the mean over 2 seeds; seed noise only)." in text
    assert "posterior" not in json.loads((tmp_path / "manifest.json").read_text())
    assert "parameter uncertainty" not in text


def test_cli_runs_and_resumes(tmp_path, files):
    csv, other = files
    args = ["batch", str(BASE), str(other), "--replications", "2", "--steps", "3", "--posterior", "2",
            "--posterior-file", str(csv), "--common-seeds", "--workers", "1", "--out", str(tmp_path / "b"),
            "--no-progress", *TINY_ARGS]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    assert "8 runs (0 already done" in res.output and (tmp_path / "b" / "report.html").is_file()
    res = CliRunner().invoke(app, [*args, "--no-report"])
    assert res.exit_code == 0 and "8 runs (8 already done, 0 finished now" in res.output, res.output


@pytest.mark.parametrize("make, n, expected", [
    (lambda d: d / "none.csv", 2, ["--posterior-file", "none.csv: file not found"]),
    (lambda d: (d / "bin.csv").write_bytes(b"\xff\xfe\x00\x01\x02") and d / "bin.csv", 2, ["not a readable CSV"]),
    (lambda d: (d / "empty.csv").write_text("") or d / "empty.csv", 2, ["empty.csv", "not a readable CSV"]),
    (lambda d: write_draws(d / "p.csv"), 0, ["--posterior 0", "allowed: 1 or more"]),
    (lambda d: write_draws(d / "p.csv"), 7, ["--posterior 7", "has 6 draws", "without replacement",
                                            "allowed: 1 to 6"]),
    (lambda d: write_draws(d / "p.csv", **{"consumer.p2p_valu": 0.1}), 2,
     ["posterior column 'consumer.p2p_valu'", "p.csv", "did you mean 'p2p_value'"]),
    (lambda d: write_draws(d / "p.csv", **{P2P: [0.1, np.inf, 0.1, 0.1, 0.1, 0.1]}), 2,
     ["posterior column 'consumer.p2p_value'", "allowed: finite numbers in every row"]),
    (lambda d: write_draws(d / "p.csv", **{"consumer.wallet_revision": [0.5, 3.0, 0.5, 0.5, 0.5, 0.5]}), 2,
     ["posterior column 'consumer.wallet_revision'", "draws from 0.5 to 3; allowed: 0 <= x <= 1"]),
])
def test_bad_posterior_inputs_are_one_line_with_exit_code_2(tmp_path, make, n, expected):
    csv = make(tmp_path)
    res = CliRunner().invoke(app, ["batch", str(BASE), "--replications", "1", "--steps", "2", "--posterior", str(n),
                                   "--posterior-file", str(csv), "--out", str(tmp_path / "o"), "--no-progress",
                                   *TINY_ARGS])
    assert res.exit_code == 2, res.output
    line = res.output.strip()
    assert "\n" not in line and line.startswith("error: ") and "Traceback" not in line
    for part in expected:
        assert part in line, line
    assert not (tmp_path / "o" / "runs").exists()  # nothing ran


def test_posterior_file_needs_posterior(tmp_path, files):
    res = CliRunner().invoke(app, ["batch", str(BASE), "--posterior-file", str(files[0]), "--out", str(tmp_path)])
    assert res.exit_code == 2 and "allowed with --posterior N only" in res.output


def test_explore_skips_the_history_only_columns(tmp_path, files):
    write_draws(tmp_path / "posterior.csv")
    (tmp_path / "e.toml").write_text(f'name = "e"\nscenario = "{BASE}"\nsteps = 2\n[set]\n"size.consumers" = 300\n'
                                     '"size.merchants" = 30\n[design]\nscenarios = 2\n[posterior]\n'
                                     'file = "posterior.csv"\n[outcomes.reach]\nmetric = "reach_mean"\nlast = 1\n')
    spec = explore_config.load(tmp_path / "e.toml")
    assert list(spec.posterior.columns) == [P2P, TAOBAO]
    (tmp_path / "f.toml").write_text((tmp_path / "e.toml").read_text().replace(
        'file = "posterior.csv"', f'file = "posterior.csv"\ncolumns = ["{SCOPE}"]'))
    with pytest.raises(config_mod.ConfigError, match="parameter of the dated history only"):
        explore_config.load(tmp_path / "f.toml")
