"""The summary page of a sweep or an exploration: one self-contained, offline plotly HTML file.

A sweep (``batch --grid/--lhs``) or an exploration (``explore``) has hundreds of points, so the
page summarises instead of listing: outcome against parameter (scatter with a binned mean, or a
response surface for a two-key grid), sensitivity bars (the workbench's extra-trees feature scores;
Sobol indices for a Sobol design), the PRIM boxes with their coverage/density trade-off, and the
spread of the runs over time (median and 5-95 % band per tick).  Each run's own time series is
drawn only on request (``series=True``).  Numbers are sent as float32 typed arrays and plotly.js
is embedded once, so the page opens without a network.  A batch sweep's feature scores are
computed once (by the batch's own report) and kept in ``DIR/discovery.json`` under a digest of the
table they came from, so a later ``report DIR`` needs neither scikit-learn nor the workbench.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

import numpy as np
import pandas as pd

from . import batch, discovery
from .config import ConfigError
from .explore import DISCOVERY, EXPLORE_JSON, EXPERIMENTS, read_exploration

END_TICKS = 12  # a sweep's outcome: a metric's mean over the last 12 ticks
SWEEP_METRICS = ["reach_mean", "hhi_value", "merchant_exclusive_share", "consumer_wallet_multihoming",
                 "consumer_surplus", "platform_revenue"]  # after every wallet's payment share by value
TIME_METRICS = ["reach_mean", "hhi_value"]
MAX_SCATTER_INPUTS = 8  # the inputs with the highest feature scores get a scatter column
BINS = 10
SCORE_SEED = 0  # the extra trees' seed: the same runs give the same scores


def is_sweep(out_dir: Path | str) -> bool:
    """True for an exploration directory, or a batch directory whose runs sweep parameters."""
    out = Path(out_dir)
    if (out / EXPLORE_JSON).is_file() and (out / EXPERIMENTS).is_file():
        return True
    try:
        manifest = json.loads((out / batch.MANIFEST).read_text())
    except (OSError, json.JSONDecodeError):
        return False
    return len(manifest.get("points") or [{}]) > 1


# --------------------------------------------------------------------------- data
def skipped_runs(out_dir: Path | str) -> list[dict]:
    """Runs of the batch in ``out_dir`` whose result file exists but is damaged (see
    :func:`model.batch.unreadable_runs`): left out of the page, and named on it."""
    out = Path(out_dir)
    if not (out / batch.MANIFEST).is_file():
        return []
    return batch.unreadable_runs(out, batch.read_manifest(out).get("runs", []))


def _skipped_html(skipped: list[dict]) -> str:
    if not skipped:
        return ""
    items = "".join(f"<li><code>{html.escape(str(f['run_id']))}</code>: {html.escape(str(f['error']))}</li>"
                    for f in skipped)
    return (f"<h2>Skipped runs ({len(skipped)})</h2><p>Their result files are damaged or unreadable, so the "
            f"page leaves them out; rerun the batch to redo them.</p><ul>{items}</ul>")


def _sweep_table(out: Path) -> tuple[dict, pd.DataFrame, list[str], list[str], pd.DataFrame]:
    """A batch sweep as (manifest, one row per scenario x point, input columns, outcome columns, the
    runs' long data): each metric's mean over the last ticks of a run, then over replications."""
    manifest = batch.read_manifest(out)
    dset = batch.dataset(out, [r["run_id"] for r in manifest.get("runs", [])])
    if dset is None:
        raise ConfigError(f"{out}: no finished runs to report yet")
    names = dset.schema.names
    wallets = [c for c in names if c.startswith("pay_share_value_")]
    metrics = wallets + [m for m in SWEEP_METRICS if m in names]
    params = [c for c in names if c.startswith("param.")]
    cols = ["run_id", "scenario", "tick", *params, *dict.fromkeys([*metrics, *TIME_METRICS])]
    df = dset.to_table(columns=[c for c in cols if c in names]).to_pandas().reindex(columns=cols)
    df = df.sort_values(["run_id", "tick"], kind="stable")
    end = df.groupby("run_id", sort=False).tail(END_TICKS).groupby("run_id", sort=False)
    per_run = end[metrics].mean().join(end[["scenario", *params]].first())
    table = per_run.groupby(["scenario", *params], dropna=False, sort=False)[metrics].mean().reset_index()
    table = table.rename(columns={p: p.removeprefix("param.") for p in params})
    return manifest, table, [p.removeprefix("param.") for p in params], metrics, df


def _runs_of(out: Path, metrics: list[str]) -> pd.DataFrame | None:
    """The runs' long data (run_id, tick, ``metrics``) of a directory with run files, else None."""
    if not (out / batch.MANIFEST).is_file():
        return None
    manifest = batch.read_manifest(out)
    dset = batch.dataset(out, [r["run_id"] for r in manifest.get("runs", [])])
    if dset is None:
        return None
    cols = ["run_id", "tick", *(m for m in metrics if m in dset.schema.names)]
    return dset.to_table(columns=cols).to_pandas()


def _time_bands(df: pd.DataFrame, metrics: list[str]) -> pd.DataFrame:
    """Per tick: median and 5-95 % band across runs of each metric."""
    cols = [m for m in metrics if m in df]
    q = df.groupby("tick")[cols].quantile([0.05, 0.5, 0.95]).unstack()
    q.columns = [f"{m}|{p}" for m, p in q.columns]
    return q.reset_index()


def sweep_scores(out: Path, table: pd.DataFrame, inputs: list[str], outcomes: list[str]) -> dict:
    """Feature scores of a batch sweep's outcomes, cached whole in ``DIR/discovery.json`` under a
    digest of the table they were computed from: the batch's own report computes them once, and a
    later ``report DIR`` reuses them (no scikit-learn or workbench import) until the runs change."""
    key = _table_key(table[[*inputs, *outcomes]])
    path = out / DISCOVERY
    try:
        cached = json.loads(path.read_text())
    except (OSError, ValueError):
        cached = {}
    if isinstance(cached, dict) and cached.get("key") == key and isinstance(cached.get("feature_scores"), dict):
        return cached["feature_scores"]
    scores = {o: discovery.feature_scores(discovery.inputs(table, inputs), table[o].to_numpy(), SCORE_SEED)
              for o in outcomes}
    body = {"key": key, "feature_scores": scores}
    try:
        batch._atomic_write(path, lambda fh: fh.write(json.dumps(body, indent=1).encode("utf-8")))
    except OSError:
        pass  # a read-only batch directory: the page is still written where asked, uncached
    return scores


def _table_key(table: pd.DataFrame) -> str:
    """Digest of a table's columns and values, and of the scoring settings."""
    import hashlib

    h = hashlib.sha256(json.dumps([list(map(str, table.columns)), discovery.TREES, SCORE_SEED]).encode())
    h.update(pd.util.hash_pandas_object(table, index=False).to_numpy().tobytes())
    return h.hexdigest()


# --------------------------------------------------------------------------- figures
def _f32(v) -> np.ndarray:
    return np.asarray(v, dtype=np.float32)  # plotly sends numpy arrays as typed arrays: 4 bytes a number


def _numeric(s: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)


def scatter_figure(table: pd.DataFrame, inputs: list[str], outcomes: list[str], color: str | None):
    """Outcome (rows) against input (columns): the points and their binned mean."""
    import plotly.graph_objects as go
    from plotly.colors import qualitative
    from plotly.subplots import make_subplots

    fig = make_subplots(rows=len(outcomes), cols=len(inputs), shared_yaxes="rows", horizontal_spacing=0.012,
                        vertical_spacing=min(0.06, 0.3 / max(1, len(outcomes))), column_titles=inputs,
                        row_titles=outcomes)
    groups = list(table.groupby(color, sort=False)) if color else [("all", table)]
    palette = qualitative.Plotly
    for r, o in enumerate(outcomes, 1):
        for c, x in enumerate(inputs, 1):
            for g, (label, rows) in enumerate(groups):
                rows = rows[rows[o].notna()]
                xs = rows[x] if _numeric(rows[x]) else rows[x].astype(str)
                fig.add_trace(go.Scattergl(
                    x=_f32(xs) if _numeric(rows[x]) else xs.tolist(), y=_f32(rows[o]), mode="markers",
                    marker=dict(size=4, color=palette[g % len(palette)], opacity=0.5), name=str(label),
                    legendgroup=str(label), showlegend=r == 1 and c == 1 and color is not None,
                    hovertemplate=f"{html.escape(x)}=%{{x:.4g}}<br>{html.escape(o)}=%{{y:.4g}}<extra>{html.escape(str(label))}</extra>"),
                    row=r, col=c)
                if _numeric(rows[x]) and rows[x].nunique() >= 5 * BINS:  # at least 5 points a bin
                    bins = pd.qcut(rows[x], BINS, duplicates="drop")
                    trend = rows.groupby(bins, observed=True).agg(x=(x, "mean"), y=(o, "mean"))
                    fig.add_trace(go.Scatter(x=_f32(trend["x"]), y=_f32(trend["y"]), mode="lines",
                                             line=dict(color=palette[g % len(palette)], width=2), hoverinfo="skip",
                                             legendgroup=str(label), showlegend=False), row=r, col=c)
    fig.update_layout(height=170 * len(outcomes) + 120, template="plotly_white", margin=dict(l=50, r=90, t=60, b=30),
                      legend=dict(orientation="h", y=1.0 + 50 / (170 * len(outcomes) + 120)))
    fig.update_annotations(font_size=10)
    return fig


def surface_figure(table: pd.DataFrame, inputs: list[str], outcomes: list[str]):
    """A two-key grid: one heatmap of each outcome's mean over the grid."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    a, b = inputs
    cols = min(3, len(outcomes))
    rows = -(-len(outcomes) // cols)
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=outcomes, horizontal_spacing=0.08)
    for i, o in enumerate(outcomes):
        grid = table.pivot_table(index=b, columns=a, values=o, aggfunc="mean")
        fig.add_trace(go.Heatmap(z=_f32(grid.to_numpy()), x=_f32(grid.columns), y=_f32(grid.index),
                                 colorscale="Viridis", showscale=False,
                                 hovertemplate=f"{a}=%{{x:.4g}}<br>{b}=%{{y:.4g}}<br>{o}=%{{z:.4g}}<extra></extra>"),
                      row=i // cols + 1, col=i % cols + 1)
        fig.update_xaxes(title_text=a, row=i // cols + 1, col=i % cols + 1)
        fig.update_yaxes(title_text=b, row=i // cols + 1, col=i % cols + 1)
    fig.update_layout(height=300 * rows + 80, template="plotly_white", margin=dict(l=60, r=30, t=60, b=40))
    return fig


def sensitivity_figure(scores: dict[str, dict[str, float]], title: str):
    """Horizontal bars: one panel per outcome, inputs by score."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    scores = {o: s for o, s in scores.items() if s}
    if not scores:
        return None
    cols = min(4, len(scores))
    rows = -(-len(scores) // cols)
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=list(scores), horizontal_spacing=0.16)
    for i, (o, s) in enumerate(scores.items()):
        items = sorted(s.items(), key=lambda kv: kv[1])
        fig.add_trace(go.Bar(x=_f32([v for _, v in items]), y=[k for k, _ in items], orientation="h",
                             marker_color="#4c78a8", showlegend=False,
                             hovertemplate="%{y}: %{x:.3f}<extra></extra>"), row=i // cols + 1, col=i % cols + 1)
    n = max(len(s) for s in scores.values())
    fig.update_layout(title=title, height=rows * (22 * n + 90) + 60, template="plotly_white",
                      margin=dict(l=30, r=20, t=70, b=30))
    fig.update_yaxes(automargin=True)
    return fig


def prim_figure(boxes: list[dict]):
    """Per box: the peeling trajectory (coverage against density, the chosen box ringed) and the
    chosen limits of each restricted input, as a share of its sampled range."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    fig = make_subplots(rows=len(boxes), cols=2, column_widths=[0.4, 0.6], horizontal_spacing=0.22,
                        subplot_titles=[t for k in range(len(boxes)) for t in
                                        (f"box {k + 1}: coverage / density trade-off", f"box {k + 1}: limits")])
    for k, b in enumerate(boxes, 1):
        t = b["trajectory"]
        fig.add_trace(go.Scatter(x=_f32(t["coverage"]), y=_f32(t["density"]), mode="markers+lines",
                                 marker=dict(color=t["res_dim"], colorscale="Viridis", size=7), line=dict(width=1),
                                 customdata=np.asarray(t["res_dim"], dtype=np.int16), showlegend=False,
                                 hovertemplate="coverage %{x:.2f}<br>density %{y:.2f}<br>restricted inputs "
                                               "%{customdata}<extra></extra>"), row=k, col=1)
        fig.add_trace(go.Scatter(x=[b["coverage"]], y=[b["density"]], mode="markers", showlegend=False,
                                 marker=dict(size=16, color="rgba(0,0,0,0)", line=dict(color="#d62728", width=2)),
                                 hovertemplate="chosen box<extra></extra>"), row=k, col=1)
        fig.update_xaxes(title_text="coverage", range=[0, 1.05], row=k, col=1)
        fig.update_yaxes(title_text="density", range=[0, 1.05], row=k, col=1)
        ranges = [lim for lim in b["limits"] if lim["kind"] == "range"]
        for lim in b["limits"]:
            if lim["kind"] == "values":
                fig.add_annotation(text=f"{html.escape(lim['name'])} in {{{', '.join(lim['values'])}}}",
                                   xref="x domain", yref="y domain", showarrow=False, x=0, y=-0.2,
                                   row=k, col=2)
        span = [max(lim["high"] - lim["low"], 1e-12) for lim in ranges]
        lo = [(lim["min"] - lim["low"]) / s for lim, s in zip(ranges, span)]
        hi = [(lim["max"] - lim["low"]) / s for lim, s in zip(ranges, span)]
        fig.add_trace(go.Bar(y=[lim["name"] for lim in ranges], x=_f32(np.subtract(hi, lo)), base=_f32(lo),
                             orientation="h", marker_color="#f58518", showlegend=False,
                             customdata=[[lim["min"], lim["max"], lim["low"], lim["high"]] for lim in ranges],
                             hovertemplate="%{y}: %{customdata[0]:.4g} to %{customdata[1]:.4g} (sampled "
                                           "%{customdata[2]:.4g} to %{customdata[3]:.4g})<extra></extra>"),
                      row=k, col=2)
        fig.update_xaxes(title_text="share of the sampled range", range=[0, 1], row=k, col=2)
    fig.update_layout(height=330 * len(boxes) + 40, template="plotly_white", margin=dict(l=60, r=30, t=50, b=40))
    fig.update_yaxes(automargin=True)
    return fig


def time_figure(bands: pd.DataFrame, metrics: list[str], runs: pd.DataFrame | None = None):
    """Median and 5-95 % band across runs per tick; every run's line when ``runs`` is given."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    metrics = [m for m in metrics if f"{m}|0.5" in bands]
    cols = 2
    rows = -(-len(metrics) // cols)
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=metrics, vertical_spacing=0.1)
    x = _f32(bands["tick"])
    for i, m in enumerate(metrics):
        r, c = i // cols + 1, i % cols + 1
        if runs is not None:
            for _, g in runs.groupby("run_id", sort=False):
                fig.add_trace(go.Scattergl(x=_f32(g["tick"]), y=_f32(g[m]), mode="lines", showlegend=False,
                                           line=dict(width=0.5, color="rgba(80,80,80,0.25)"), hoverinfo="skip"),
                              row=r, col=c)
        fig.add_trace(go.Scatter(x=x, y=_f32(bands[f"{m}|0.95"]), mode="lines", line=dict(width=0),
                                 showlegend=False, hoverinfo="skip"), row=r, col=c)
        fig.add_trace(go.Scatter(x=x, y=_f32(bands[f"{m}|0.05"]), mode="lines", line=dict(width=0), fill="tonexty",
                                 fillcolor="rgba(76,120,168,0.25)", showlegend=False, hoverinfo="skip"), row=r, col=c)
        fig.add_trace(go.Scatter(x=x, y=_f32(bands[f"{m}|0.5"]), mode="lines", line=dict(color="#4c78a8", width=2),
                                 showlegend=False, hovertemplate="month %{x}: median %{y:.4g}<extra></extra>"),
                      row=r, col=c)
    fig.update_layout(height=260 * rows + 60, template="plotly_white", margin=dict(l=50, r=30, t=50, b=30))
    return fig


# --------------------------------------------------------------------------- page
CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px;color:#222;max-width:1500px}
.meta{color:#555;font-size:13px} code{background:#f3f3f3;padding:0 3px} .story{font-size:15px;max-width:70em}
table{border-collapse:collapse;font-size:12px} th,td{border:1px solid #ddd;padding:3px 6px;text-align:right}
th{background:#f6f6f6} td.l,th.l{text-align:left}
"""


def _top_inputs(inputs: list[str], scores: dict[str, dict[str, float]]) -> list[str]:
    """At most MAX_SCATTER_INPUTS inputs, the highest summed feature score first."""
    total = {i: sum(s.get(i, 0.0) for s in scores.values()) for i in inputs}
    return sorted(inputs, key=lambda i: -total[i])[:MAX_SCATTER_INPUTS]


def _box_table(boxes: list[dict]) -> str:
    rows = []
    for k, b in enumerate(boxes, 1):
        for lim in b["limits"]:
            if lim["kind"] == "values":
                cells = f"<td class='l' colspan='4'>{html.escape(', '.join(lim['values']))}</td>"
            else:
                qp = " / ".join("–" if q is None else f"{q:.2g}" for q in (lim["qp_min"], lim["qp_max"]))
                cells = (f"<td>{lim['min']:.4g}</td><td>{lim['max']:.4g}</td>"
                         f"<td>{lim['low']:.4g} to {lim['high']:.4g}</td><td>{qp}</td>")
            rows.append(f"<tr><td>{k}</td><td class='l'>{html.escape(lim['name'])}</td>{cells}</tr>")
    return ("<table><tr><th>box</th><th class='l'>input</th><th>min</th><th>max</th><th>sampled</th>"
            f"<th>quasi-p (min / max)</th></tr>{''.join(rows)}</table>")


def build_sweep_page(out_dir: Path | str, path: Path | str | None = None, series: bool = False,
                     title: str | None = None, skipped: list[dict] | None = None) -> Path:
    """Write the summary page of the sweep or exploration in ``out_dir`` (default
    ``out_dir/report.html``); ``series`` adds every run's time series.  Runs with a damaged
    result file (``skipped``, default :func:`skipped_runs`) are left out and listed."""
    out = Path(out_dir)
    if not is_sweep(out):
        raise ConfigError(f"{out}: not a sweep (no parameter points) or an exploration")
    if skipped is None:
        skipped = skipped_runs(out)
    explored = (out / EXPLORE_JSON).is_file()
    found: dict = {}
    if explored:
        info, table, found = read_exploration(out)
        inputs = [i for i in [*info["inputs"], *(p["name"] for p in info["levers"])] if table[i].nunique() > 1]
        outcomes = [o["name"] for o in info["outcomes"]]
        color = "policy" if table["policy"].nunique() > 1 else None
        scores = found.get("feature_scores", {})
        head = (f"Exploration <b>{html.escape(info['name'])}</b> ({html.escape(info['description'])}): "
                f"{info['experiments']} experiments = {info['scenarios']} scenarios x {len(info['policies'])} "
                f"policies, {info['replications']} seed(s) each (common random numbers), {info['steps']} ticks, "
                f"{info['sampler'].upper()} design, {html.escape(info['route'])} route; file "
                f"<code>{html.escape(info['file'])}</code>. Outcomes are means over the last ticks; an outcome "
                "measured against a reference policy is the difference from it in the same scenario and seeds.")
        long = _runs_of(out, TIME_METRICS)
    else:
        manifest, table, inputs, outcomes, long = _sweep_table(out)
        inputs = [i for i in inputs if table[i].nunique() > 1]
        color = "scenario" if table["scenario"].nunique() > 1 else None
        scores = sweep_scores(out, table, inputs, outcomes)
        head = (f"Sweep of {len(manifest.get('points') or [])} points x {len(manifest.get('scenarios', []))} "
                f"scenario(s) x {manifest.get('replications')} replication(s) (common random numbers across "
                f"points); outcomes are means over the last {END_TICKS} ticks, then over replications.")
    title = title or ("walled-gardens: exploration" if explored else "walled-gardens: sweep")
    sections: list[tuple[str, str, object]] = []
    if explored and found.get("prim"):
        pr = found["prim"]
        text = f"<p class='story'>{html.escape(discovery.story(found))}</p>"
        if pr["boxes"]:
            text += _box_table(pr["boxes"])
            sections.append(("Scenario discovery (PRIM)", text, prim_figure(pr["boxes"])))
        else:
            sections.append(("Scenario discovery (PRIM)", text, None))
    numeric = [i for i in inputs if _numeric(table[i])]
    grid = (not explored and len(numeric) == 2 and len(inputs) == 2 and color is None
            and table[numeric].drop_duplicates().shape[0] == table[numeric[0]].nunique() * table[numeric[1]].nunique())
    if grid:
        sections.append(("Response surfaces", "<p class='meta'>Mean of each outcome over the grid.</p>",
                         surface_figure(table, numeric, outcomes)))
    elif inputs:
        shown = _top_inputs(inputs, scores)
        rows = table
        sections.append(("Outcome against parameter",
                         f"<p class='meta'>One point per {'experiment' if explored else 'sweep point'}; the line is "
                         f"the mean in {BINS} bins of the input (from {5 * BINS} points). Inputs ordered by feature score"
                         + (f" (the top {MAX_SCATTER_INPUTS} of {len(inputs)})" if len(inputs) > len(shown) else "")
                         + ". Paired outcomes leave out their reference policy.</p>",
                         scatter_figure(_paired_view(rows, outcomes), shown, outcomes, color)))
    sens = sensitivity_figure(scores, "Feature scores (extra trees, ema_workbench): share of the outcome's "
                                      "variation each input explains")
    if sens is not None:
        sections.append(("Sensitivity", "", sens))
    for o, per in (found.get("sobol") or {}).items():
        for pol, ix in per.items():
            sections.append((f"Sobol indices: {o} ({pol})", "<p class='meta'>SALib, first order (S1) and total "
                             "order (ST); the total order over the first order is the share due to interactions.</p>",
                             sensitivity_figure({"S1": ix["S1"], "ST": ix["ST"]}, "")))
    metrics = [*(c for c in table.columns if c.startswith("pay_share_value_")), *TIME_METRICS]
    if long is not None and not long.empty:
        bands = _time_bands(long, metrics)
        sections.append(("Over time", "<p class='meta'>Median and 5-95 % band across all runs per month"
                         + (", and every run's line" if series else " (every run's line: <code>series=True</code>)")
                         + ".</p>", time_figure(bands, metrics, long if series else None)))
    body, first = [], True
    for name, text, fig in sections:
        body.append(f"<h2>{html.escape(name)}</h2>{text}")
        if fig is not None:
            body.append(fig.to_html(full_html=False, include_plotlyjs=first, config={"displaylogo": False}))
            first = False
    if first:  # no figure at all: still one self-contained page
        body.append("<p>No inputs vary: nothing to summarise.</p>")
    page = (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<meta name='viewport' content='width=device-width, initial-scale=1'><style>{CSS}</style></head><body>"
            f"<h1>{html.escape(title)}</h1><p class='meta'>{head}</p>{''.join(body)}{_skipped_html(skipped)}"
            "</body></html>")
    target = Path(path) if path is not None else out / "report.html"
    target.parent.mkdir(parents=True, exist_ok=True)
    batch._atomic_write(target, lambda fh: fh.write(page.encode("utf-8")))  # readers never see half a page
    return target


def _paired_view(table: pd.DataFrame, outcomes: list[str]) -> pd.DataFrame:
    """Paired outcomes are NaN on their reference rows (zero there by construction)."""
    table = table.copy()
    for o in outcomes:
        ref = f"{o}.reference"
        if ref in table:
            table.loc[table[ref], o] = np.nan
    return table


__all__ = ["build_sweep_page", "is_sweep", "skipped_runs"]
