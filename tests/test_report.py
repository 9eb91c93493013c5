"""The batch comparison report (model/report.py, `walled-gardens report`)."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from typer.testing import CliRunner

from model import batch, report
from model.cli import app

REPO = Path(__file__).resolve().parent.parent
BASE, BAN = REPO / "scenarios" / "baseline.toml", REPO / "scenarios" / "exclusivity_ban.toml"
SMALL = {"size.consumers": 2000, "size.merchants": 200}
STEPS, REPS = 10, 3


@pytest.fixture(scope="module")
def done(tmp_path_factory) -> Path:
    """A finished batch: 2 scenarios x 3 replications (threads: no process start-up)."""
    out = tmp_path_factory.mktemp("batch")
    p = batch.plan([BASE, BAN], REPS, steps=STEPS, overrides=SMALL)
    with ThreadPoolExecutor(2) as ex:
        batch.run_batch(p, out, executor=ex, progress=False)
    return out


@pytest.fixture(scope="module")
def html_path(done) -> Path:
    return report.build_report(done)


def test_report_is_one_self_contained_offline_file(html_path, done):
    assert html_path == done / "report.html"
    text = html_path.read_text()
    assert not re.search(r"<script[^>]+src=", text), "no external scripts"
    assert not re.search(r"<link[^>]+href=[\"']https?:", text), "no external stylesheets"
    assert not re.search(r"<(img|iframe)[^>]+src=[\"']https?:", text)
    assert len(text) > 1_000_000 and "plotly.js" in text  # plotly.js embedded
    for name in ("baseline", "exclusivity_ban", "Payment share by value: alipay", "Payment share by value: wechat_pay",
                 "Merchant reach", "HHI", "multi-homing", "Consumer surplus", "Merchant profit", "Platform revenue",
                 "Fines", "End state", "95% confidence interval"):
        assert name in text, name


def test_figure_has_mean_and_band_per_scenario_and_metric(done):
    _, gstats, metrics, _ = report.collect(done)
    fig = report.figure(gstats, metrics)
    names = [m for m, _ in metrics]
    assert names[:3] == ["pay_share_value_alipay", "pay_share_value_wechat_pay", "pay_share_value_unionpay"]
    assert {"reach_mean", "hhi_value", "consumer_wallet_multihoming", "merchant_multihoming", "consumer_surplus",
            "merchant_profit", "platform_revenue", "fines_total"} <= set(names)
    assert len(fig.data) == 2 * len(metrics) * 3  # groups x metrics x (upper, lower, mean)
    legend = [t.name for t in fig.data if t.showlegend]
    assert legend == ["baseline", "exclusivity_ban"]


def test_series_band_is_the_t_interval_across_replications(done):
    _, gstats, _, _ = report.collect(done)
    df = batch.load_results(done, ["run_id", "scenario", "tick", "reach_mean"])
    g = next(s for s in gstats if s.group == "baseline")
    assert g.done == g.planned == REPS and list(g.series.tick) == list(range(STEPS + 1))
    v = df[(df.scenario == "baseline") & (df.tick == 5)].reach_mean.to_numpy()
    row = g.series[g.series.tick == 5].iloc[0]
    half = stats.t.ppf(0.975, REPS - 1) * v.std(ddof=1) / np.sqrt(REPS)
    assert row.reach_mean_mean == pytest.approx(v.mean())
    assert (row.reach_mean_lo, row.reach_mean_hi) == pytest.approx((v.mean() - half, v.mean() + half))
    _, rstats, _, _ = report.collect(done, band="range")
    row = next(s for s in rstats if s.group == "baseline").series.iloc[5]
    assert (row.reach_mean_lo, row.reach_mean_hi) == pytest.approx(tuple(np.percentile(v, [2.5, 97.5])))


def test_summary_table_has_end_state_means_and_cis(html_path, done):
    summary = pd.read_csv(done / "summary.csv")
    df = batch.load_results(done, ["run_id", "scenario", "tick", "hhi_value"])
    last = df[(df.tick == STEPS) & (df.scenario == "exclusivity_ban")].hhi_value.to_numpy()
    row = summary[(summary.group == "exclusivity_ban") & (summary.metric == "hhi_value")].iloc[0]
    half = stats.t.ppf(0.975, REPS - 1) * last.std(ddof=1) / np.sqrt(REPS)
    assert row.n == REPS and row["mean"] == pytest.approx(last.mean())
    assert (row.ci_lo, row.ci_hi) == pytest.approx((last.mean() - half, last.mean() + half))
    text = html_path.read_text()
    assert f"{last.mean():,.0f}" in text and f"[{last.mean() - half:,.0f}, {last.mean() + half:,.0f}]" in text
    assert f"{REPS}/{REPS}" in text


def test_report_reads_only_the_columns_it_needs(done, monkeypatch):
    asked = []
    real = batch.load_results

    def spy(out, columns=None, run_ids=None):
        asked.append(columns)
        return real(out, columns, run_ids)

    monkeypatch.setattr(batch, "load_results", spy)
    report.collect(done)
    assert asked and all(c is not None for c in asked)
    assert all("commission_taobao" not in c and "sellers_jd" not in c for c in asked)
    assert len(asked) == 2  # one read per scenario group


def test_partial_and_failed_batches_are_reported(done, tmp_path):
    out = tmp_path / "partial"
    out.mkdir()
    for sub in ("runs", "logs", "failed"):
        (out / sub).mkdir()
    (out / "manifest.json").write_bytes((done / "manifest.json").read_bytes())
    runs = sorted((done / "runs").glob("*.parquet"))
    for f in runs[1:]:
        (out / "runs" / f.name).write_bytes(f.read_bytes())
    spec = batch.read_manifest(done)["runs"]
    missing = next(r for r in spec if r["run_id"] == runs[0].stem)
    (out / "failed" / f"{missing['run_id']}.json").write_text(
        '{"run_id": "%s", "group": "%s", "replication": %d, "seed": %d, "error": "ValueError: boom"}'
        % (missing["run_id"], missing["group"], missing["replication"], missing["seed"]))
    text = report.build_report(out).read_text()
    assert "5 of 6 planned runs finished; 1 failed" in text
    assert "Failed runs (1)" in text and "ValueError: boom" in text
    assert f"{REPS - 1}/{REPS}" in text and "(1 failed)" in text


def test_report_cli(done, tmp_path):
    target = tmp_path / "r.html"
    res = CliRunner().invoke(app, ["report", str(done), "--html", str(target)])
    assert res.exit_code == 0, res.output
    assert target.is_file() and str(target) in res.output
    res = CliRunner().invoke(app, ["report", str(done), "--band", "sd"])
    assert res.exit_code == 2 and "--band 'sd'" in res.output and "['ci', 'range']" in res.output
    res = CliRunner().invoke(app, ["report", str(tmp_path / "nope")])
    assert res.exit_code == 2 and "not a directory" in res.output
    res = CliRunner().invoke(app, ["report", str(tmp_path)])
    assert res.exit_code == 2 and "no manifest.json" in res.output


def test_sweep_groups_are_compared(tmp_path):
    p = batch.plan([BASE], 2, steps=4, overrides=SMALL, points=batch.sweep_points(
        batch.parse_grid(["consumer.g_direct=1,3"])))
    with ThreadPoolExecutor(2) as ex:
        batch.run_batch(p, tmp_path, executor=ex, progress=False)
    text = report.build_report(tmp_path).read_text()
    assert "baseline [g_direct=1]" in text and "baseline [g_direct=3]" in text
    assert "Sweep: 2 points per scenario" in text


def test_scenarios_with_other_wallets_share_one_report(tmp_path):
    extra = tmp_path / "new_wallet.toml"
    extra.write_text(f'extends = "{BASE}"\nname = "new_wallet"\n'
                     '[platforms.bank2]\nadaptive = false\nwallet = { name = "bankpay", appeal = -3.0 }\n')
    p = batch.plan([BASE, extra], 2, steps=3, overrides=SMALL)
    with ThreadPoolExecutor(2) as ex:
        batch.run_batch(p, tmp_path / "o", executor=ex, progress=False)
    _, gstats, metrics, _ = report.collect(tmp_path / "o")
    assert "pay_share_value_bankpay" in [m for m, _ in metrics]
    base = next(g for g in gstats if g.group == "baseline")
    assert base.series["pay_share_value_bankpay_mean"].isna().all()
    assert "Payment share by value: bankpay" in report.build_report(tmp_path / "o").read_text()


@pytest.mark.browser
def test_report_renders_in_chromium(html_path):
    from browser_helpers import chromium_missing_reason, launch_chromium

    if chromium_missing_reason():
        pytest.skip(chromium_missing_reason())
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        browser = launch_chromium(pw)
        try:
            page = browser.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("requestfailed", lambda r: errors.append(f"request failed: {r.url}"))
            page.goto(html_path.as_uri(), wait_until="load")
            page.wait_for_selector(".js-plotly-plot .main-svg", timeout=30_000)
            n_lines = page.locator(".js-plotly-plot .scatterlayer .trace path.js-line").count()
            n_panels = page.locator(".js-plotly-plot .cartesianlayer > .subplot").count()
            online = [u for u in page.evaluate("performance.getEntries().map(e => e.name)")
                      if u.startswith("http")]
        finally:
            browser.close()
    assert not errors, errors
    assert not online, online
    assert n_panels >= 13 and n_lines >= 2 * 13
