"""The summary page of sweeps and explorations: which directories are sweeps, what the page
shows (scatter or response surface, sensitivity, PRIM boxes, bands over time), offline."""

from __future__ import annotations

import json
import re

import pytest

from model import batch, discovery
from model.config import ConfigError
from model.sweep_report import build_sweep_page, is_sweep

from conftest import SCENARIOS

TINY = {"size.consumers": 300, "size.merchants": 30}


def _batch(out, points, steps=14):
    p = batch.plan([SCENARIOS / "baseline.toml"], 1, steps=steps, overrides=TINY, points=points)
    batch.run_batch(p, out, workers=2, progress=False)
    return out


def _plotly_traces(page: str) -> int:
    return len(re.findall(r'"type":"scatter(gl)?"', page))


@pytest.fixture(scope="module")
def lhs_sweep(tmp_path_factory):
    pts = batch.sweep_points(lhs=batch.parse_lhs(["consumer.g_direct=0.5:4", "consumer.switching_cost=0.5:4"]),
                             samples=12)
    return _batch(tmp_path_factory.mktemp("lhs"), pts)


def test_which_directories_are_sweeps(tmp_path, lhs_sweep):
    assert is_sweep(lhs_sweep)
    assert not is_sweep(_batch(tmp_path / "one", None, steps=3))  # one point: the scenario report's job
    assert not is_sweep(tmp_path / "nothing")
    with pytest.raises(ConfigError, match="not a sweep"):
        build_sweep_page(tmp_path / "one")


def test_sweep_page_summarises_and_is_offline(lhs_sweep, tmp_path):
    page_path = build_sweep_page(lhs_sweep, tmp_path / "page.html")
    page = page_path.read_text()
    assert "<script src=" not in page and len(re.findall(r"plotly\.js v\d", page)) == 1  # embedded, once
    assert page.count("Plotly.newPlot") >= 3  # one plotly.js bundle, several figures
    for section in ("Outcome against parameter", "Sensitivity", "Over time"):
        assert f"<h2>{section}</h2>" in page
    assert "consumer.g_direct" in page and "pay_share_value_alipay" in page and "PRIM" not in page
    # each run's time series only on request
    full = build_sweep_page(lhs_sweep, tmp_path / "series.html", series=True).read_text()
    assert _plotly_traces(full) >= _plotly_traces(page) + 12 * 4  # 12 runs x 4 metrics


def test_two_key_grid_gets_response_surfaces(tmp_path):
    grid = batch.sweep_points(batch.parse_grid(["consumer.g_direct=1,3", "merchant.multihoming_cost=0,0.05,0.1"]))
    page = build_sweep_page(_batch(tmp_path / "grid", grid, steps=6)).read_text()
    assert "<h2>Response surfaces</h2>" in page and '"type":"heatmap"' in page


def test_exploration_page_shows_the_prim_boxes(tmp_path):
    """An exploration directory with a known answer: failures where a > 0.6 and b < 0.5."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(5)
    t = pd.DataFrame({"experiment": range(400), "scenario": range(400), "policy": "on",
                      "a": rng.uniform(0, 1, 400), "b": rng.uniform(0, 1, 400)})
    t["gain"] = np.where((t["a"] > 0.6) & (t["b"] < 0.5), 0.0, 0.05) + rng.normal(0, 0.002, 400)
    x, y = t[["a", "b"]], (t["gain"] < 0.01).to_numpy()
    found = {"prim": {"outcome": "gain", "rule": "gain < 0.01", "experiments": 400, "cases": int(y.sum()),
                      "share": float(y.mean()), "density_target": 0.8, "inputs": ["a", "b"],
                      "boxes": discovery.prim_boxes(x, y)},
             "feature_scores": {"gain": discovery.feature_scores(x, t["gain"].to_numpy(), 1)}, "sobol": None}
    info = {"name": "known", "description": "a known box", "file": "x.toml", "experiments": 400, "scenarios": 400,
            "policies": ["on"], "replications": 1, "steps": 10, "sampler": "lhs", "route": "batch",
            "inputs": ["a", "b"], "levers": [], "outcomes": [{"name": "gain"}]}
    (tmp_path / "explore.json").write_text(json.dumps(info))
    (tmp_path / "discovery.json").write_text(json.dumps(found))
    t.to_parquet(tmp_path / "experiments.parquet")
    assert is_sweep(tmp_path)
    page = build_sweep_page(tmp_path).read_text()
    assert "<h2>Scenario discovery (PRIM)</h2>" in page and "<h2>Over time</h2>" not in page  # no run files
    text = discovery.box_text(found["prim"]["boxes"][0])
    assert text.startswith("a >= 0.") and "b <= 0." in text
    assert text.replace(">", "&gt;").replace("<", "&lt;") in page
    lims = {lim["name"]: lim for lim in found["prim"]["boxes"][0]["limits"]}
    assert f"<td>{lims['a']['min']:.4g}</td>" in page and f"<td>{lims['b']['max']:.4g}</td>" in page


def test_report_command_summarises_a_sweep_and_compares_plain_batches(lhs_sweep, tmp_path):
    """`walled-gardens report` (and so `batch`) writes the summary page for a sweep, the scenario
    comparison otherwise."""
    from typer.testing import CliRunner

    from model.cli import app

    res = CliRunner().invoke(app, ["report", str(lhs_sweep), "--html", str(tmp_path / "sweep.html")])
    assert res.exit_code == 0, res.output
    page = (tmp_path / "sweep.html").read_text()
    assert "<h2>Sensitivity</h2>" in page and "<h2>Effects against" not in page
    plain = _batch(tmp_path / "plain", [{}], steps=4)
    res = CliRunner().invoke(app, ["report", str(plain)])
    assert res.exit_code == 0, res.output
    assert "<h2>Sensitivity</h2>" not in (plain / "report.html").read_text()


@pytest.mark.parametrize("points", [2, 1], ids=["sweep", "scenarios"])
def test_report_names_damaged_runs(tmp_path, points):
    """A truncated run file is left out of either report kind and named: one warning line on
    stderr with its run id, and on the page."""
    from typer.testing import CliRunner

    from model.cli import app

    grid = batch.sweep_points(batch.parse_grid(["consumer.g_direct=1,3"])) if points > 1 else None
    p = batch.plan([SCENARIOS / "baseline.toml"], 2, steps=3, overrides=TINY, points=grid)
    out = tmp_path / "b"
    batch.run_batch(p, out, workers=2, progress=False)
    runs = batch.read_manifest(out)["runs"]
    bad = runs[0]["run_id"]
    path = batch.run_path(out, bad)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    res = CliRunner().invoke(app, ["report", str(out)])
    assert res.exit_code == 0, res.output
    warnings = [line for line in res.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1 and bad in warnings[0] and "1 run(s) skipped" in warnings[0], res.stderr
    assert all(r["run_id"] not in warnings[0] for r in runs[1:])
    assert is_sweep(out) == (points > 1)
    assert bad in (out / "report.html").read_text()


def test_sweep_scores_are_cached_until_the_runs_change(lhs_sweep, tmp_path, monkeypatch):
    """The batch's report computes a sweep's feature scores once into DIR/discovery.json; a later
    report reuses them without scoring again, and scores afresh when a run changes."""
    import shutil

    out = tmp_path / "copy"
    shutil.copytree(lhs_sweep, out)
    (out / "discovery.json").unlink(missing_ok=True)
    first = build_sweep_page(out, tmp_path / "a.html").read_text()
    cached = json.loads((out / "discovery.json").read_text())
    assert set(cached) == {"key", "feature_scores"} and cached["feature_scores"]

    def no_scoring(*args, **kwargs):
        raise AssertionError("scored again although the runs did not change")

    monkeypatch.setattr(discovery, "feature_scores", no_scoring)
    uuid = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")  # plotly's div ids
    assert uuid.sub("", build_sweep_page(out, tmp_path / "b.html").read_text()) == uuid.sub("", first)
    gone = batch.read_manifest(out)["runs"][0]["run_id"]
    batch.run_path(out, gone).unlink()  # one point fewer: the table and so the key change
    with pytest.raises(AssertionError, match="scored again"):
        build_sweep_page(out, tmp_path / "c.html")
