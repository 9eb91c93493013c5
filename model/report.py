"""Comparison report of a batch directory: one self-contained, offline HTML file that explains itself.

``build_report(DIR)`` writes, from the finished runs in ``DIR``:

* ``report.html``: a written summary generated from the measured effects; a table of
  every scenario minus the baseline at the last month (paired by replication when the
  batch used common seeds, with 95% CIs and units); one figure per metric (mean across
  replications and a 95% band, a legend beside each, policy events marked, calendar
  months for dated scenarios), each downloadable as PNG or SVG; the end-state levels;
  failed runs.  plotly.js is embedded (no CDN).
* ``summary.csv`` (end-state levels), ``effects.csv`` (the effects table) and a tidy
  ``timeseries.csv`` (one row per run and month, one column per metric).

With posterior draws (``batch --posterior N``) every interval is instead the 2.5-97.5 percentile
range over the N x R runs (parameter uncertainty and seed noise), and effects are paired by
(replication, draw): the range of the paired differences, not a CI of their mean, which would
shrink with N and hide the parameter uncertainty.  The ``interval`` column of the CSV tables, and
the page's words, say which kind each interval is (:class:`model.report_text.Intervals`).

Runs are read group by group, and only the columns needed, so memory stays bounded by
one group's data however large the batch.  The pieces (:func:`collect`, :func:`effects`,
:mod:`model.report_figures`, :mod:`model.report_text`) are plain functions that a sweep
page can reuse.
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from . import batch
from . import config as config_mod
from .config import ConfigError
from . import regimes, report_timing
from .report_metrics import Metric, metric_list
from .report_text import Intervals

BANDS = ("ci", "range")
BAND_TEXT = {
    "ci": "95% confidence interval of the mean across replications (Student t, n-1 df)",
    "range": "2.5-97.5 percentile range across replications",
}
REFERENCE = "baseline"  # effects are measured against this group when the batch has it


@dataclass
class GroupStats:
    group: str
    scenario: str
    planned: int
    done: int
    failed: int
    series: pd.DataFrame  # tick, <metric>_mean, _lo, _hi, n
    end: pd.DataFrame  # rows: metric; columns: n, mean, sd, lo, hi (last tick, 95% CI)
    ends: pd.DataFrame = field(default_factory=pd.DataFrame)  # per run, last tick: replication, draw, seed, metrics
    last_tick: int | None = None


@dataclass
class ScenarioInfo:
    """What the report shows about a scenario besides its numbers."""

    name: str
    description: str = ""
    start: str | None = None  # "YYYY-MM" of tick 0, for dated scenarios
    events: list[dict] = field(default_factory=list)  # tick, action, target, note


# --------------------------------------------------------------------------- statistics
def t_half(sd: np.ndarray | float, n: np.ndarray | int) -> np.ndarray | float:
    """Half-width of the 95% Student t interval of a mean (NaN for n < 2)."""
    from scipy.special import stdtrit  # the t quantile; scipy.stats takes seconds to import

    n = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        q = stdtrit(np.where(n > 1, n - 1, np.nan), 0.975)
        return q * np.asarray(sd, dtype=float) / np.sqrt(n)


def _interval(values: np.ndarray, band: str) -> tuple[float, float, float, float]:
    """(mean, sd, lo, hi) of one metric across replications."""
    v = values[~np.isnan(values)]
    n = v.size
    if n == 0:
        return (np.nan,) * 4
    mean = float(v.mean())
    if n == 1:
        return mean, np.nan, mean, mean
    sd = float(v.std(ddof=1))
    if band == "range":
        lo, hi = np.percentile(v, [2.5, 97.5])
        return mean, sd, float(lo), float(hi)
    half = float(t_half(sd, n))
    return mean, sd, mean - half, mean + half


def _series_stats(df: pd.DataFrame, metrics: list[str], band: str) -> pd.DataFrame:
    """Per tick: mean and band of every metric across runs (one [tick, run, metric] array)."""
    ticks, t_idx = np.unique(df["tick"].to_numpy(), return_inverse=True)
    r_idx, runs = pd.factorize(df["run_id"])
    a = np.full((ticks.size, runs.size, len(metrics)), np.nan)
    a[t_idx, r_idx] = df[metrics].to_numpy(dtype=float)
    n = np.sum(~np.isnan(a), axis=1)  # [tick, metric]
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN ticks (a metric a scenario lacks)
        mean = np.nanmean(a, axis=1)
        if band == "range":
            lo, hi = np.nanpercentile(a, [2.5, 97.5], axis=1)
        else:
            half = np.where(n > 1, t_half(np.nanstd(a, axis=1, ddof=1), n), 0.0)
            lo, hi = mean - half, mean + half
    out = {"tick": ticks.astype(int), "n": np.sum(~np.isnan(a).all(axis=2), axis=1)}
    for k, m in enumerate(metrics):
        out[f"{m}_mean"], out[f"{m}_lo"], out[f"{m}_hi"] = mean[:, k], lo[:, k], hi[:, k]
    return pd.DataFrame(out)


def effects(stats: list[GroupStats], metrics: list[Metric], reference: str | None = None,
            spread: bool = False) -> pd.DataFrame:
    """Every group minus the reference group at the last tick, one row per (group, metric).

    Runs are paired by replication (and posterior draw) when both runs of a pair have the same
    seed (common random numbers): the interval is then the paired Student t interval of the mean
    difference.  Otherwise the groups are independent samples and the interval is Welch's.
    ``spread`` (a batch with posterior draws): runs are matched by (replication, draw) and the
    interval is the 2.5-97.5 percentile range of the matched differences (parameter uncertainty
    and seed noise).  Columns: group, metric, n, paired, ref_mean, mean, diff, lo, hi.
    """
    ref = reference_group(stats, reference)
    if ref is None:
        return pd.DataFrame(columns=["group", "metric", "n", "paired", "ref_mean", "mean", "diff", "lo", "hi"])
    rows = []
    keys = [k for k in ("replication", "draw") if k in ref.ends]
    base = ref.ends.set_index(keys) if not ref.ends.empty else pd.DataFrame()
    for gs in stats:
        if gs is ref or gs.ends.empty or base.empty:
            continue
        cur = gs.ends.set_index(keys)
        common = cur.index.intersection(base.index)
        paired = len(common) > 1 and bool((cur.loc[common, "seed"] == base.loc[common, "seed"]).all())
        for m in metrics:
            c = m.column
            if c not in cur or c not in base:
                continue
            if spread:
                d = (cur.loc[common, c] - base.loc[common, c]).dropna().to_numpy(dtype=float)
                n, diff = d.size, float(d.mean()) if d.size else np.nan
                lo, hi = np.percentile(d, [2.5, 97.5]) if d.size else (np.nan, np.nan)
                rows.append({"group": gs.group, "metric": c, "n": int(n), "paired": paired,
                             "ref_mean": float(base[c].mean()), "mean": float(cur[c].mean()),
                             "diff": diff, "lo": float(lo), "hi": float(hi)})
                continue
            if paired:
                d = (cur.loc[common, c] - base.loc[common, c]).dropna().to_numpy(dtype=float)
                n, diff = d.size, float(d.mean()) if d.size else np.nan
                half = float(t_half(d.std(ddof=1), n)) if n > 1 else np.nan
            else:
                a, b = cur[c].dropna().to_numpy(dtype=float), base[c].dropna().to_numpy(dtype=float)
                n, diff, half = min(a.size, b.size), float(a.mean() - b.mean()) if a.size and b.size else np.nan, \
                    _welch_half(a, b)
            rows.append({"group": gs.group, "metric": c, "n": int(n), "paired": paired,
                         "ref_mean": float(base[c].mean()), "mean": float(cur[c].mean()),
                         "diff": diff, "lo": diff - half, "hi": diff + half})
    return pd.DataFrame(rows, columns=["group", "metric", "n", "paired", "ref_mean", "mean", "diff", "lo", "hi"])


def _welch_half(a: np.ndarray, b: np.ndarray) -> float:
    from scipy.special import stdtrit

    if a.size < 2 or b.size < 2:
        return np.nan
    va, vb = a.var(ddof=1) / a.size, b.var(ddof=1) / b.size
    se = np.sqrt(va + vb)
    if se == 0:
        return 0.0
    df = (va + vb) ** 2 / (va ** 2 / (a.size - 1) + vb ** 2 / (b.size - 1))
    return float(stdtrit(df, 0.975) * se)


def reference_group(stats: list[GroupStats], reference: str | None = None) -> GroupStats | None:
    """The group effects are measured against: ``reference``, else 'baseline', else the first with data."""
    done = [gs for gs in stats if gs.done]
    for name in (reference, REFERENCE):
        for gs in done:
            if name is not None and gs.group == name:
                return gs
    return done[0] if done else None


# --------------------------------------------------------------------------- reading
def collect(out: Path | str, band: str = "ci", damaged: list[dict] | None = None
            ) -> tuple[dict, list[GroupStats], list[Metric], list[dict]]:
    """Read the batch in ``out`` group by group: (manifest, stats per group, metrics, failures).
    With posterior draws the band and the end-state interval are percentile ranges whatever ``band``.
    ``damaged``: the runs whose result file is damaged, if already checked (default: checked here)."""
    if band not in BANDS:
        raise ConfigError(f"--band {band!r}: allowed: {list(BANDS)}")
    out = Path(out)
    manifest = batch.read_manifest(out)
    spread = Intervals.of(manifest).posterior
    band, end_band = ("range", "range") if spread else (band, "ci")
    runs = manifest.get("runs", [])
    draw_of = {r["run_id"]: r.get("draw") or 0 for r in runs}  # posterior draw (0 without a posterior)
    by_group: dict[str, list[dict]] = {}
    for r in runs:
        by_group.setdefault(r["group"], []).append(r)
    if damaged is None:
        damaged = batch.unreadable_runs(out, runs)  # damaged result files: skipped and named
    skip = {f["run_id"] for f in damaged}
    dset = batch.dataset(out, [r["run_id"] for r in runs if r["run_id"] not in skip])
    columns = dset.schema.names if dset is not None else []
    metrics = metric_list(columns)
    names = [m.column for m in metrics]
    # kept at the runs' ends only: times to a share (report_timing), policies in force (regimes)
    end_only = report_timing.columns(columns) + [c for c in columns if c.startswith(regimes.POLICY_PREFIXES)]
    failures = _failures(out, runs) + damaged
    failed_ids = {f["run_id"] for f in failures}
    stats = []
    for group in manifest.get("groups") or list(by_group):
        specs = by_group.get(group, [])
        ids = [r["run_id"] for r in specs if r["run_id"] not in skip]
        df = batch.load_results(out, ["run_id", "replication", "seed", "tick", *names, *end_only], run_ids=ids)
        df = df.reindex(columns=["run_id", "replication", "seed", "tick", *names, *end_only])  # lacking -> NaN
        done = int(df["run_id"].nunique()) if len(df) else 0
        series, end, ends, last_tick = pd.DataFrame(), pd.DataFrame(), pd.DataFrame(), None
        if done:
            series = _series_stats(df, names, band)
            ends = df[df["tick"] == df.groupby("run_id")["tick"].transform("max")].reset_index(drop=True)
            ends.insert(2, "draw", ends["run_id"].map(draw_of).fillna(0).astype(int))
            last_tick = int(ends["tick"].max())
            end = pd.DataFrame(
                [(m, int(ends[m].notna().sum()), *_interval(ends[m].to_numpy(dtype=float), end_band)) for m in names],
                columns=["metric", "n", "mean", "sd", "lo", "hi"]).set_index("metric")
        stats.append(GroupStats(group, specs[0]["scenario"] if specs else group, len(specs), done,
                                sum(i in failed_ids for i in ids), series, end, ends, last_tick))
        del df
    return manifest, stats, metrics, failures


def _failures(out: Path, runs: list[dict]) -> list[dict]:
    failures = []
    for r in runs:
        f = out / batch.FAILED / f"{r['run_id']}.json"
        if f.is_file():
            try:
                failures.append(json.loads(f.read_text()))
            except json.JSONDecodeError:
                failures.append({**r, "error": "(unreadable failure record)"})
    return failures


def scenario_info(manifest: dict) -> dict[str, ScenarioInfo]:
    """Description, calendar start and timeline of each scenario, from its file when the file still
    has the content the batch ran (same hash as in the manifest); otherwise name and description only."""
    import hashlib

    out = {}
    for s in manifest.get("scenarios", []):
        info = ScenarioInfo(s["name"], s.get("description", ""))
        try:
            content = batch.read_scenario(s["source"])
            digest = hashlib.sha256(json.dumps(content, sort_keys=True, default=str).encode()).hexdigest()
            if digest == s.get("content_sha256"):
                cfg = config_mod.validate(config_mod.with_overrides(content, manifest.get("overrides")), s["source"])
                info.start = cfg.start
                info.events = [{"tick": e.tick, "action": e.action, "target": e.target, "note": e.note}
                               for e in cfg.events]
        except (ConfigError, OSError, KeyError):
            pass
        out[s["name"]] = info
    return out


# --------------------------------------------------------------------------- tables on disk
def summary_frame(stats: list[GroupStats], interval: str = Intervals().label) -> pd.DataFrame:
    """Tidy end-state table: group, scenario, metric, n, mean, sd, ci_lo, ci_hi, and ``interval``,
    what ci_lo and ci_hi are (:attr:`model.report_text.Intervals.label`)."""
    columns = ["group", "scenario", "metric", "n", "mean", "sd", "ci_lo", "ci_hi", "interval"]
    rows = []
    for gs in stats:
        for m, e in gs.end.iterrows():
            rows.append({"group": gs.group, "scenario": gs.scenario, "metric": m, "n": int(e["n"]),
                         "mean": e["mean"], "sd": e["sd"], "ci_lo": e["lo"], "ci_hi": e["hi"], "interval": interval})
    return pd.DataFrame(rows, columns=columns)


def write_timeseries(out: Path | str, manifest: dict, target: Path | str | None = None) -> Path:
    """``timeseries.csv``: one row per finished run and tick (scenario, group, replication, seed,
    tick, sweep parameters, every metric), written group by group."""
    out = Path(out)
    target = Path(target) if target is not None else out / "timeseries.csv"
    by_group: dict[str, list[str]] = {}
    for r in manifest.get("runs", []):
        by_group.setdefault(r["group"], []).append(r["run_id"])
    front = ["scenario", "group", "replication", "seed", "tick"]
    if manifest.get("posterior"):
        front.insert(4, "draw")
    columns: list[str] | None = None
    tmp = target.with_name(f".{target.name}.tmp")
    with open(tmp, "w", encoding="utf-8", newline="") as fh:
        for ids in by_group.values():
            df = batch.load_results(out, None, run_ids=ids)
            if df.empty:
                continue
            if columns is None:
                dset = batch.dataset(out, [i for v in by_group.values() for i in v])
                every = dset.schema.names
                columns = front + [c for c in every if c not in front and c != "run_id"]
            _write_csv(df.reindex(columns=columns), fh, header=fh.tell() == 0)
    tmp.replace(target)
    return target


def _write_csv(df: pd.DataFrame, fh, header: bool) -> None:
    """Floats with 6 significant digits (a spreadsheet needs no more), written by pyarrow (fast)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    floats = df.select_dtypes("float").columns
    if len(floats):
        v = df[floats].to_numpy()
        with np.errstate(divide="ignore", invalid="ignore"):
            mag = np.where(np.isfinite(v) & (v != 0), np.floor(np.log10(np.abs(v))), 0)
            scale = 10.0 ** (5 - mag)
            df = df.assign(**dict(zip(floats, (np.round(v * scale) / scale).T)))
    buf = pa.BufferOutputStream()
    pacsv.write_csv(pa.Table.from_pandas(df, preserve_index=False), buf,
                    pacsv.WriteOptions(include_header=header))
    fh.write(buf.getvalue().to_pybytes().decode("utf-8"))


# --------------------------------------------------------------------------- the page
def build_report(out: Path | str, path: Path | str | None = None, band: str = "ci",
                 title: str = "walled-gardens: scenario comparison", games: list[Path] | None = None,
                 skipped: list[dict] | None = None) -> Path:
    """Write the HTML report (default ``out/report.html``) and the CSV tables beside the runs.  Solved
    games (``games``, and those under ``out/game/``) are linked from it.  Runs with a damaged result
    file (``skipped``, if already checked) are left out and listed."""
    from . import game_report, report_figures, report_text

    out = Path(out)
    manifest, stats, metrics, failures = collect(out, band, skipped)
    if not any(gs.done for gs in stats):
        raise ConfigError(f"{out}: no finished runs to report yet")
    info = scenario_info(manifest)
    iv = Intervals.of(manifest)
    band_text = f"{iv.text}, the 2.5-97.5 percentile range of the runs" if iv.posterior else BAND_TEXT[band]
    band = "posterior" if iv.posterior else band
    eff = effects(stats, metrics, spread=iv.posterior)
    ref = reference_group(stats)
    summary_frame(stats, iv.label).to_csv(out / "summary.csv", index=False)
    eff.assign(interval=iv.label).to_csv(out / "effects.csv", index=False)
    write_timeseries(out, manifest)
    timing = report_timing.table(stats)
    timing.to_csv(out / "time_to_share.csv", index=False)
    split = regimes.table(stats, [m.column for m in metrics if m.kind == "share"])
    split.to_csv(out / "regimes.csv", index=False)
    figures = report_figures.figures(stats, metrics, info, band)
    target = Path(path) if path is not None else out / "report.html"
    solved = list(dict.fromkeys([*(Path(g) for g in games or []), *game_report.find_games(out)]))
    page = report_text.page(title=title, manifest=manifest, stats=stats, metrics=metrics, effects=eff,
                            reference=ref, info=info, failures=failures, figures=figures,
                            band_text=band_text, intervals=iv, timing=report_timing.html_table(timing),
                            regimes=report_text.regimes_html(split, metrics),
                            games=game_report.games_section(solved, target))
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_text(page, encoding="utf-8")
    tmp.replace(target)
    return target


__all__ = ["BANDS", "GroupStats", "ScenarioInfo", "build_report", "collect", "effects",
           "reference_group", "scenario_info", "summary_frame", "write_timeseries"]
