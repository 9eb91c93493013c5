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

from model import batch, palette, report, report_figures, report_text
from model.cli import app
from model.report_metrics import metric_list

REPO = Path(__file__).resolve().parent.parent
BASE, BAN = REPO / "scenarios" / "baseline.toml", REPO / "scenarios" / "exclusivity_ban.toml"
SMALL = {"size.consumers": 2000, "size.merchants": 200}
STEPS, REPS = 10, 3


def _run(paths, out, reps=REPS, steps=STEPS, common=True, **kw) -> Path:
    p = batch.plan(paths, reps, steps=steps, overrides=SMALL, common_seeds=common, **kw)
    with ThreadPoolExecutor(2) as ex:
        batch.run_batch(p, out, executor=ex, progress=False)
    return out


@pytest.fixture(scope="module")
def done(tmp_path_factory) -> Path:
    """A finished batch: 2 scenarios x 3 replications on common seeds, as `make all` runs them
    (threads: no process start-up)."""
    return _run([BASE, BAN], tmp_path_factory.mktemp("batch"))


@pytest.fixture(scope="module")
def dated(tmp_path_factory) -> Path:
    """A dated scenario (tick 0 = March 2020) with a policy event inside the run, and the baseline."""
    d = tmp_path_factory.mktemp("dated")
    (d / "dated.toml").write_text(f'extends = "{BASE}"\nname = "dated"\nstart = "2020-03"\n'
                                  '[[events]]\ntick = 6\naction = "ban_exclusivity"\nnote = "ban"\n')
    return _run([BASE, d / "dated.toml"], d / "out", reps=2, steps=12)


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
    for name in ("baseline", "exclusivity_ban", "Payment share by value: Alipay", "Payment share by value: WeChat Pay",
                 "Wallet reach: share of merchants a WeChat Pay holder can pay", "Merchant reach", "HHI",
                 "multi-homing", "Consumer surplus", "Merchant profit", "Platform revenue", "Fines", "Summary",
                 "Effects against baseline", "End state", "95% confidence interval", "% of payment value"):
        assert name in text, name
    assert text.index("Summary") < text.index("Effects against") < text.index("Over time") < text.index("End state")


def test_one_figure_per_metric_with_axis_titles_percent_and_palette_colours(done):
    _, gstats, metrics, _ = report.collect(done)
    figs = report_figures.figures(gstats, metrics, {})
    names = [m.column for m, _ in figs]
    assert names[:6] == ["pay_share_value_alipay", "pay_share_value_wechat_pay", "pay_share_value_unionpay",
                         "wallet_reach_alipay", "wallet_reach_wechat_pay", "wallet_reach_unionpay"]
    assert {"reach_mean", "hhi_value", "consumer_wallet_multihoming", "merchant_multihoming", "consumer_surplus",
            "merchant_profit", "platform_revenue", "fines_total"} <= set(names)
    for m, fig in figs:
        lines = [t for t in fig["data"] if t.get("mode") == "lines"]
        bands = [t for t in fig["data"] if t.get("fill") == "toself"]
        assert [t["name"] for t in lines] == ["baseline", "exclusivity_ban"] and len(bands) == 2
        assert [t["line"]["color"] for t in lines] == [palette.SCENARIOS["baseline"], palette.SCENARIOS["exclusivity_ban"]]
        lay = fig["layout"]
        assert lay["xaxis"]["title"]["text"] == "month (tick)" and lay["yaxis"]["title"]["text"] == m.axis
        assert lay["legend"]["x"] > 1  # beside the panel
        assert (lay["yaxis"]["tickformat"] == ".0%") == (m.kind == "share")
        assert "%" in m.axis if m.kind == "share" else True


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


def _ends(out: Path, metric: str) -> pd.DataFrame:
    df = batch.load_results(out, ["scenario", "replication", "seed", "tick", metric])
    return df[df.tick == df.tick.max()].pivot(index="replication", columns="scenario", values=[metric, "seed"])


def test_effects_are_paired_by_common_seeds(done):
    _, gstats, metrics, _ = report.collect(done)
    eff = report.effects(gstats, metrics)
    assert set(eff.group) == {"exclusivity_ban"} and eff.paired.all()
    w = _ends(done, "merchant_exclusive_share")
    assert (w["seed"]["baseline"] == w["seed"]["exclusivity_ban"]).all()
    d = (w["merchant_exclusive_share"]["exclusivity_ban"] - w["merchant_exclusive_share"]["baseline"]).to_numpy()
    half = stats.t.ppf(0.975, REPS - 1) * d.std(ddof=1) / np.sqrt(REPS)
    row = eff[eff.metric == "merchant_exclusive_share"].iloc[0]
    assert row["diff"] == pytest.approx(d.mean()) and (row.lo, row.hi) == pytest.approx((d.mean() - half,
                                                                                          d.mean() + half))
    on_disk = pd.read_csv(done / "effects.csv")
    assert on_disk[on_disk.metric == "merchant_exclusive_share"]["diff"].iloc[0] == pytest.approx(d.mean())


def test_effects_without_common_seeds_are_welch_and_say_so(tmp_path):
    out = _run([BASE, BAN], tmp_path, reps=3, steps=4, common=False)
    _, gstats, metrics, _ = report.collect(out)
    eff = report.effects(gstats, metrics)
    assert not eff.paired.any()
    w = _ends(out, "reach_mean")["reach_mean"]
    a, b = w["exclusivity_ban"].to_numpy(), w["baseline"].to_numpy()
    welch = stats.ttest_ind(a, b, equal_var=False).confidence_interval(0.95)
    row = eff[eff.metric == "reach_mean"].iloc[0]
    assert (row.lo, row.hi) == pytest.approx((welch.low, welch.high))
    assert "not paired" in report.build_report(out).read_text()


def test_summary_sentences_come_from_the_effects(html_path, done):
    _, gstats, metrics, _ = report.collect(done)
    eff = report.effects(gstats, metrics)
    by = {m.column: m for m in metrics}
    text = html_path.read_text()
    for metric in ("reach_mean", "merchant_exclusive_share"):
        row = eff[eff.metric == metric].iloc[0]
        # the sentence names the size of the change and its interval, in the metric's unit
        assert f"{report_text.effect_phrase(by[metric], report_text._abs(row), signed=False)}" in text, metric
    assert "paired by replication" in text and f"by month {STEPS}" in text


def test_an_effect_whose_interval_covers_zero_is_described_as_such():
    m = {x.column: x for x in metric_list(["reach_mean", "consumer_surplus", "pay_share_value_alipay",
                                            "pay_share_value_wechat_pay"])}
    row = lambda d, lo, hi, mean=0.5: pd.Series({"diff": d, "lo": lo, "hi": hi, "mean": mean})  # noqa: E731
    rows = {"reach_mean": row(0.001, -0.002, 0.004), "consumer_surplus": row(0.05, 0.01, 0.09, 5.2),
            "pay_share_value_alipay": row(-0.08, -0.083, -0.077), "pay_share_value_wechat_pay": row(0.08, 0.077, 0.083)}
    s = report_text.scenario_sentence("payment_interop", rows, list(m.values()), "by month 120")
    assert "does not change mean merchant reach distinguishably from zero (+0.10 pp [-0.20, 0.40])" in s
    assert "moves 8.0 pp [7.7, 8.3] of payment value away from Alipay, to WeChat Pay (+8.0 pp [7.7, 8.3])" in s
    assert "raises consumer surplus by 0.050 utility per consumer per month [0.010, 0.090], to 5.20" in s
    rows["pay_share_value_alipay"] = row(-0.001, -0.004, 0.002)
    rows["pay_share_value_wechat_pay"] = row(0.002, -0.001, 0.005)
    s = report_text.scenario_sentence("x", rows, list(m.values()), "by month 120")
    assert "leaves every wallet's share of payment value where the baseline has it" in s


def test_event_markers_and_calendar_months_for_dated_scenarios(dated):
    manifest, gstats, metrics, _ = report.collect(dated)
    info = report.scenario_info(manifest)
    assert info["dated"].start == "2020-03" and info["baseline"].start is None
    figs = dict((m.column, f) for m, f in report_figures.figures(gstats, metrics, info))
    lay = figs["reach_mean"]["layout"]
    assert [s["x0"] for s in lay["shapes"]] == [6]
    assert lay["shapes"][0]["line"]["color"] == palette.scenario_colors(["baseline", "dated"])["dated"]
    assert "dated (Sep 2020): ban_exclusivity (ban)" in lay["annotations"][0]["hovertext"]
    top = lay["xaxis2"]
    assert top["tickvals"] == [10] and top["ticktext"] == ["2021"] and "dated" in top["title"]["text"]
    line = next(t for t in figs["reach_mean"]["data"] if t.get("name") == "dated" and t.get("mode") == "lines")
    assert line["customdata"][0][2] == " (Mar 2020)" and line["customdata"][12][2] == " (Mar 2021)"
    text = report.build_report(dated).read_text()
    assert "by month 12 (Mar 2021)" in text and "month 6 (Sep 2020): ban_exclusivity" in text


def test_csv_tables_beside_the_runs(html_path, done):
    ts = pd.read_csv(done / "timeseries.csv")
    assert list(ts.columns[:5]) == ["scenario", "group", "replication", "seed", "tick"]
    assert len(ts) == 2 * REPS * (STEPS + 1) and {"pay_share_value_alipay", "reach_mean", "gmv"} <= set(ts.columns)
    raw = batch.load_results(done, ["scenario", "replication", "tick", "reach_mean"])
    merged = ts.merge(raw, on=["scenario", "replication", "tick"], suffixes=("", "_raw"))
    assert len(merged) == len(ts)
    assert np.allclose(merged.reach_mean, merged.reach_mean_raw, rtol=1e-5, atol=0)
    summary = pd.read_csv(done / "summary.csv")
    assert set(summary.columns) == {"group", "scenario", "metric", "n", "mean", "sd", "ci_lo", "ci_hi", "interval"}
    assert (summary.interval == "95% CI of the mean over seeds").all()


def test_palette_is_stable_and_distinct():
    a = palette.scenario_colors(["baseline", "new_one", "other_new"])
    b = palette.scenario_colors(["other_new", "exclusivity_ban", "new_one", "baseline"])
    assert a["baseline"] == b["baseline"] == palette.SCENARIOS["baseline"]
    assert a["new_one"] == palette.scenario_color("new_one") or len(set(a.values())) == 3
    many = palette.scenario_colors([*palette.SCENARIOS, *(f"s{i}" for i in range(15))])
    assert len(set(many.values())) == len(many)  # no two scenarios of one figure share a colour
    assert palette.scenario_colors(["x1", "x2"]) == palette.scenario_colors(["x1", "x2"])


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
    assert len(asked) == 2  # one read per scenario group (timeseries.csv reads them again, by group too)


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
    assert "pay_share_value_bankpay" in [m.column for m in metrics]
    base = next(g for g in gstats if g.group == "baseline")
    assert base.series["pay_share_value_bankpay_mean"].isna().all()
    assert "Payment share by value: bankpay" in report.build_report(tmp_path / "o").read_text()
    assert "pay_share_value_bankpay" in pd.read_csv(tmp_path / "o" / "timeseries.csv").columns


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
            n_panels = page.locator(".js-plotly-plot").count()
            # a legend click hides that scenario in every figure
            page.locator(".js-plotly-plot").first.locator(".legend .traces", has_text="exclusivity_ban") \
                .locator(".legendtoggle").click()
            page.wait_for_timeout(500)
            hidden = page.evaluate("""() => [...document.querySelectorAll('.js-plotly-plot')].map(gd =>
                gd.data.filter(t => t.legendgroup === 'exclusivity_ban').every(t => t.visible === 'legendonly'))""")
            online = [u for u in page.evaluate("performance.getEntries().map(e => e.name)")
                      if u.startswith("http")]
        finally:
            browser.close()
    assert not errors, errors
    assert not online, online
    assert n_panels >= 16 and n_lines >= 2 * 16
    assert all(hidden), hidden
