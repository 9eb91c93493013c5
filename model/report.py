"""Comparison report of a batch directory: one self-contained, offline plotly HTML file.

For every scenario (or scenario x sweep point: a "group") the report shows, over time,
the mean across replications with a 95% band, of payment share per wallet, merchant
reach, HHI, multi-homing and welfare (consumer surplus, merchant profit, platform
revenue, fines); and a table of end-state values (last tick) with 95% confidence
intervals.  plotly.js is embedded (no CDN), so the file opens without a network.

Runs are read group by group and only the columns the report needs, so memory stays
bounded by one group's data however large the batch.
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from . import batch
from .config import ConfigError

BANDS = ("ci", "range")
BAND_TEXT = {
    "ci": "95% confidence interval of the mean across replications (Student t, n-1 df)",
    "range": "2.5-97.5 percentile range across replications",
}

# (column, title, unit note); payment shares are prepended per wallet
FIXED_METRICS: list[tuple[str, str]] = [
    ("reach_mean", "Merchant reach (mean share of consumers who can buy)"),
    ("hhi_value", "HHI of payments by value (0-10,000)"),
    ("consumer_wallet_multihoming", "Consumers holding 2+ wallets"),
    ("consumer_market_multihoming", "Consumers using 2+ marketplaces"),
    ("merchant_multihoming", "Merchants on 2+ marketplaces"),
    ("merchant_exclusive_share", "Merchants under exclusivity"),
    ("consumer_surplus", "Consumer surplus (logit inclusive value)"),
    ("merchant_profit", "Merchant profit (per merchant, per month)"),
    ("platform_revenue", "Platform revenue (per consumer, per month)"),
    ("fines_total", "Fines, cumulative (per consumer)"),
]
SHORT = {"reach_mean": "reach", "hhi_value": "HHI", "consumer_wallet_multihoming": "wallet multi-homing",
         "consumer_market_multihoming": "marketplace multi-homing", "merchant_multihoming": "merchant multi-homing",
         "merchant_exclusive_share": "under exclusivity", "consumer_surplus": "consumer surplus",
         "merchant_profit": "merchant profit", "platform_revenue": "platform revenue", "fines_total": "fines (cum.)"}


def short_label(metric: str) -> str:
    if metric.startswith("pay_share_value_"):
        return "share " + metric.removeprefix("pay_share_value_")
    return SHORT.get(metric, metric)


@dataclass
class GroupStats:
    group: str
    scenario: str
    planned: int
    done: int
    failed: int
    series: pd.DataFrame  # tick, <metric>_mean, _lo, _hi, n
    end: pd.DataFrame  # rows: metric; columns: n, mean, sd, lo, hi


def metric_list(columns: Sequence[str]) -> list[tuple[str, str]]:
    wallets = [c.removeprefix("pay_share_value_") for c in columns if c.startswith("pay_share_value_")]
    out = [(f"pay_share_value_{w}", f"Payment share by value: {w}") for w in wallets]
    return out + [(c, t) for c, t in FIXED_METRICS if c in columns]


def _interval(values: np.ndarray, band: str) -> tuple[float, float, float, float]:
    """(mean, sd, lo, hi) of one metric across replications."""
    v = values[~np.isnan(values)]
    n = v.size
    if n == 0:
        return (np.nan,) * 4
    mean = float(v.mean())
    sd = float(v.std(ddof=1)) if n > 1 else np.nan
    if n == 1:
        return mean, sd, mean, mean
    if band == "range":
        lo, hi = np.percentile(v, [2.5, 97.5])
        return mean, sd, float(lo), float(hi)
    from scipy.stats import t

    half = float(t.ppf(0.975, n - 1)) * sd / np.sqrt(n)
    return mean, sd, mean - half, mean + half


def _series_stats(df: pd.DataFrame, metrics: list[str], band: str) -> pd.DataFrame:
    rows = []
    for tick, g in df.groupby("tick", sort=True):
        row: dict = {"tick": int(tick), "n": int(g["run_id"].nunique())}
        for m in metrics:
            mean, _, lo, hi = _interval(g[m].to_numpy(dtype=float), band)
            row[f"{m}_mean"], row[f"{m}_lo"], row[f"{m}_hi"] = mean, lo, hi
        rows.append(row)
    return pd.DataFrame(rows)


def collect(out: Path | str, band: str = "ci") -> tuple[dict, list[GroupStats], list[tuple[str, str]], list[dict]]:
    """Read the batch in ``out`` group by group: (manifest, stats per group, metrics, failures)."""
    if band not in BANDS:
        raise ConfigError(f"--band {band!r}: allowed: {list(BANDS)}")
    out = Path(out)
    manifest = batch.read_manifest(out)
    runs = manifest.get("runs", [])
    by_group: dict[str, list[dict]] = {}
    for r in runs:
        by_group.setdefault(r["group"], []).append(r)
    dset = batch.dataset(out, [r["run_id"] for r in runs])
    columns = dset.schema.names if dset is not None else []
    metrics = metric_list(columns)
    names = [m for m, _ in metrics]
    failures = batch.unreadable_runs(out, runs)  # damaged result files: skipped and named
    for r in runs:
        f = out / batch.FAILED / f"{r['run_id']}.json"
        if f.is_file():
            try:
                failures.append(json.loads(f.read_text()))
            except json.JSONDecodeError:
                failures.append({**r, "error": "(unreadable failure record)"})
    failed_ids = {f["run_id"] for f in failures}
    stats = []
    for group in manifest.get("groups") or list(by_group):
        specs = by_group.get(group, [])
        ids = [r["run_id"] for r in specs]
        df = batch.load_results(out, ["run_id", "tick", *names], run_ids=ids)
        df = df.reindex(columns=["run_id", "tick", *names])  # metrics this scenario lacks -> NaN
        done = int(df["run_id"].nunique()) if len(df) else 0
        if done:
            series = _series_stats(df, names, band)
            last = df[df["tick"] == df.groupby("run_id")["tick"].transform("max")]
            end = pd.DataFrame(
                [(m, int(last[m].notna().sum()), *_interval(last[m].to_numpy(dtype=float), "ci")) for m in names],
                columns=["metric", "n", "mean", "sd", "lo", "hi"]).set_index("metric")
        else:
            series, end = pd.DataFrame(), pd.DataFrame()
        stats.append(GroupStats(group, specs[0]["scenario"] if specs else group, len(specs), done,
                                sum(i in failed_ids for i in ids), series, end))
        del df
    return manifest, stats, metrics, failures


# --------------------------------------------------------------------------- figure
def _palette(n: int) -> list[str]:
    from plotly.colors import qualitative

    base = qualitative.Plotly if n <= 10 else qualitative.Dark24 + qualitative.Light24
    return [base[i % len(base)] for i in range(n)]


def _rgba(hex_color: str, alpha: float) -> str:
    h = hex_color.lstrip("#")
    r, g, b = (int(h[i:i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"


def figure(stats: list[GroupStats], metrics: list[tuple[str, str]], band: str = "ci"):
    """Small multiples: one panel per metric, one colour per group, mean line + band."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    cols = 2
    rows = max(1, -(-len(metrics) // cols))
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=[t for _, t in metrics],
                        vertical_spacing=min(0.08, 0.35 / rows), horizontal_spacing=0.08)
    colors = _palette(len(stats))
    for gi, (gs, color) in enumerate(zip(stats, colors)):
        if gs.series.empty:
            continue
        x = gs.series["tick"]
        for mi, (m, title) in enumerate(metrics):
            r, c = mi // cols + 1, mi % cols + 1
            lo, hi, mean = gs.series[f"{m}_lo"], gs.series[f"{m}_hi"], gs.series[f"{m}_mean"]
            common = dict(legendgroup=gs.group, x=x, showlegend=False)
            fig.add_trace(go.Scatter(y=hi, mode="lines", line=dict(width=0), hoverinfo="skip", **common),
                          row=r, col=c)
            fig.add_trace(go.Scatter(y=lo, mode="lines", line=dict(width=0), fill="tonexty",
                                     fillcolor=_rgba(color, 0.18), hoverinfo="skip", **common), row=r, col=c)
            fig.add_trace(go.Scatter(
                y=mean, mode="lines", name=gs.group, line=dict(color=color, width=2),
                customdata=np.stack([lo, hi, gs.series["n"]], axis=-1),
                hovertemplate=(f"<b>{html.escape(gs.group)}</b><br>{html.escape(title)}<br>month %{{x}}: "
                               "%{y:.4g} [%{customdata[0]:.4g}, %{customdata[1]:.4g}], n=%{customdata[2]}"
                               "<extra></extra>"),
                **{**common, "showlegend": mi == 0}), row=r, col=c)
    fig.update_layout(
        height=290 * rows + 160, template="plotly_white", margin=dict(l=60, r=30, t=110, b=40),
        legend=dict(orientation="h", yanchor="bottom", y=1.0 + 60 / (290 * rows + 160), x=0,
                    entrywidthmode="pixels", entrywidth=0, title_text=""),
        hovermode="closest")
    fig.update_annotations(font_size=13)
    return fig


# --------------------------------------------------------------------------- html
def _fmt(v: float) -> str:
    if v is None or not np.isfinite(v):
        return "–"
    a = abs(v)
    if a >= 100:
        return f"{v:,.0f}"
    if a >= 1:
        return f"{v:.2f}"
    return f"{v:.3f}"


def _summary_table(stats: list[GroupStats], metrics: list[tuple[str, str]]) -> str:
    head = "".join(f"<th title='{html.escape(t)}'>{html.escape(short_label(m))}</th>" for m, t in metrics)
    body = []
    for gs in stats:
        runs = f"{gs.done}/{gs.planned}" + (f" <span class='bad'>({gs.failed} failed)</span>" if gs.failed else "")
        cells = [f"<th class='row'>{html.escape(gs.group)}</th>", f"<td>{runs}</td>"]
        for m, _ in metrics:
            if gs.end.empty or m not in gs.end.index:
                cells.append("<td>–</td>")
                continue
            e = gs.end.loc[m]
            ci = f"[{_fmt(e['lo'])}, {_fmt(e['hi'])}]" if e["n"] > 1 else ""
            cells.append(f"<td>{_fmt(e['mean'])}<br><span class='ci'>{ci}</span></td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (f"<div class='scroll'><table class='summary'><thead><tr><th>scenario</th><th>runs</th>{head}</tr>"
            f"</thead><tbody>{''.join(body)}</tbody></table></div>")


def _failures_html(failures: list[dict]) -> str:
    if not failures:
        return ""
    items = "".join(
        f"<li><code>{html.escape(str(f.get('run_id')))}</code> {html.escape(str(f.get('group', '')))}, "
        f"replication {html.escape(str(f.get('replication')))}, seed {html.escape(str(f.get('seed')))}: "
        f"{html.escape(str(f.get('error')))}</li>" for f in failures)
    return (f"<h2>Failed runs ({len(failures)})</h2><p>Tracebacks are in <code>failed/&lt;run_id&gt;.json</code>; "
            f"rerunning the batch command retries them.</p><ul>{items}</ul>")


CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px;color:#222;max-width:1500px}
h1{margin-bottom:4px} .meta{color:#555;font-size:13px} code{background:#f3f3f3;padding:0 3px}
table{border-collapse:collapse;font-size:12px} th,td{border:1px solid #ddd;padding:4px 6px;text-align:right;
vertical-align:top} th{background:#f6f6f6} th.row{text-align:left;white-space:nowrap} .ci{color:#777;font-size:11px}
.scroll{overflow-x:auto} .bad{color:#b00} table.scen td{text-align:left}
"""


def build_report(out: Path | str, path: Path | str | None = None, band: str = "ci",
                 title: str = "walled-gardens: scenario comparison") -> Path:
    """Write the HTML report for the batch in ``out`` (default ``out/report.html``)."""
    out = Path(out)
    manifest, stats, metrics, failures = collect(out, band)
    if not any(gs.done for gs in stats):
        raise ConfigError(f"{out}: no finished runs to report yet")
    fig = figure(stats, metrics, band)
    plot = fig.to_html(full_html=False, include_plotlyjs=True, config={"responsive": True, "displaylogo": False})
    end_csv = summary_frame(stats)
    end_csv.to_csv(out / "summary.csv", index=False)
    done = sum(gs.done for gs in stats)
    planned = sum(gs.planned for gs in stats)
    scen_rows = "".join(
        f"<tr><td><b>{html.escape(s['name'])}</b></td><td><code>{html.escape(s['source'])}</code></td>"
        f"<td>{html.escape(s.get('description', ''))}</td></tr>" for s in manifest.get("scenarios", []))
    steps = manifest.get("steps")
    meta = (f"{done} of {planned} planned runs finished; {len(failures)} failed. "
            f"Replications: {manifest.get('replications')}; steps: {steps if steps is not None else 'per scenario'}; "
            f"master seed {manifest.get('master_seed')} (seeds: <code>{html.escape(str(manifest.get('seed_scheme')))}"
            f"</code>); batch started {html.escape(str(manifest.get('created')))}.")
    if manifest.get("overrides"):
        meta += f" Overrides: <code>{html.escape(json.dumps(manifest['overrides']))}</code>."
    if len(manifest.get("points") or [{}]) > 1:
        meta += f" Sweep: {len(manifest['points'])} points per scenario (common random numbers across points)."
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><style>{CSS}</style></head>
<body>
<h1>{html.escape(title)}</h1>
<p class="meta">{meta}</p>
<table class="scen"><thead><tr><th>scenario</th><th>file</th><th>description</th></tr></thead>
<tbody>{scen_rows}</tbody></table>
<h2>End state (last month)</h2>
<p class="meta">Mean across replications and, below it, the 95% confidence interval of the mean (Student t).
Also in <code>summary.csv</code>.</p>
{_summary_table(stats, metrics)}
<h2>Over time</h2>
<p class="meta">Lines: mean across replications; shaded: {BAND_TEXT[band]}. x axis: month (tick).
Click a scenario in the legend to hide it, double-click to show it alone; hover for values.</p>
{plot}
{_failures_html(failures)}
</body></html>
"""
    target = Path(path) if path is not None else out / "report.html"
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_text(page, encoding="utf-8")
    tmp.replace(target)
    return target


def summary_frame(stats: list[GroupStats]) -> pd.DataFrame:
    """Tidy end-state table: group, scenario, metric, n, mean, sd, ci_lo, ci_hi."""
    rows = []
    for gs in stats:
        for m, e in gs.end.iterrows():
            rows.append({"group": gs.group, "scenario": gs.scenario, "metric": m, "n": int(e["n"]),
                         "mean": e["mean"], "sd": e["sd"], "ci_lo": e["lo"], "ci_hi": e["hi"]})
    return pd.DataFrame(rows, columns=["group", "scenario", "metric", "n", "mean", "sd", "ci_lo", "ci_hi"])
