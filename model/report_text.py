"""The report's words and tables: sentences filled with measured effects, the effects and
end-state tables, and the HTML page around the figures.

Every number in a sentence comes from :func:`model.report.effects` (scenario minus the
reference at the last month, 95% CI, or the 95% range over posterior draws x seeds); an effect
whose interval covers 0 is written as not distinguishable from zero, never as a change.  Every
sentence and table says which kind of interval it quotes (:class:`Intervals`).
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import palette
from .report_metrics import Metric, month_label

# metrics the sentences talk about (when the batch has them)
REACH, EXCLUSIVE, MULTI, SURPLUS = "reach_mean", "merchant_exclusive_share", "merchant_multihoming", "consumer_surplus"
MERCHANT_SIDE = {EXCLUSIVE: "merchants under exclusivity", MULTI: "merchants on two or more marketplaces"}


@dataclass(frozen=True)
class Intervals:
    """What the report's intervals are: a 95% CI of the mean over seeds (seed noise only), or with
    posterior draws the 2.5-97.5 percentile range over draws x seeds (parameter + seed)."""

    seeds: int | None = None  # replications per scenario (per draw)
    draws: int | None = None  # posterior draws; None: the batch has no posterior

    @classmethod
    def of(cls, manifest: dict) -> Intervals:
        post = manifest.get("posterior")
        return cls(manifest.get("replications"), int(post["draws"]) if post else None)

    @property
    def posterior(self) -> bool:
        return self.draws is not None

    @property
    def label(self) -> str:
        """The ``interval`` column of summary.csv and effects.csv."""
        return ("95% range over posterior draws x seeds (parameter + seed)" if self.posterior
                else "95% CI of the mean over seeds")

    @property
    def short(self) -> str:
        seeds = f"{self.seeds} seeds" if self.seeds else "seeds"
        if self.posterior:
            return f"95% range over {self.draws} posterior draws x {seeds}"
        return f"95% confidence interval of the mean over {seeds}"

    @property
    def source(self) -> str:
        return "parameter uncertainty and seed noise" if self.posterior else "seed noise only"

    @property
    def text(self) -> str:
        """The words of the page, with the counts: '95% range over 20 posterior draws x 10 seeds (parameter
        uncertainty and seed noise)'."""
        return f"{self.short} ({self.source})"

    @property
    def brackets(self) -> str:
        """The end of a sentence: what its bracketed intervals are."""
        return f"(in brackets: {self.short}; {self.source})"


def covers_zero(row) -> bool:
    return not (row["lo"] > 0 or row["hi"] < 0)


def _ci(m: Metric, row) -> str:
    return f"[{m.diff(row['lo']).lstrip('+')}, {m.diff(row['hi']).lstrip('+')}]"


def effect_phrase(m: Metric, row, signed: bool = True) -> str:
    """'+8.0 pp [7.7, 8.3]' (a share), '+0.043 utility per consumer per month [0.01, 0.07]' (a level);
    unsigned for a change whose direction the verb already says."""
    unit = f" {m.diff_unit}" if m.diff_unit else ""
    value = m.diff(row["diff"])
    return f"{value if signed else value.lstrip('+')}{unit} {_ci(m, row)}"


def _payment_clause(rows: dict[str, pd.Series], metrics: list[Metric]) -> str:
    shares = [m for m in metrics if m.column.startswith("pay_share_value_") and m.column in rows]
    if not shares:
        return ""
    name = {m.column: palette.display_name(m.column.removeprefix("pay_share_value_")) for m in shares}
    moved = [m for m in shares if not covers_zero(rows[m.column])]
    if not moved:
        big = max(shares, key=lambda m: abs(rows[m.column]["diff"]))
        return (f"leaves every wallet's share of payment value where the baseline has it (no change is "
                f"distinguishable from zero; largest: {name[big.column]} {effect_phrase(big, rows[big.column])})")
    losers = sorted((m for m in moved if rows[m.column]["diff"] < 0), key=lambda m: rows[m.column]["diff"])
    winners = sorted((m for m in moved if rows[m.column]["diff"] > 0), key=lambda m: -rows[m.column]["diff"])
    if losers and winners:
        lo, wi = losers[0], winners[0]
        return (f"moves {effect_phrase(lo, _neg(rows[lo.column]), signed=False)} of payment value "
                f"away from {name[lo.column]}, to {name[wi.column]} ({effect_phrase(wi, rows[wi.column])})")
    m = (losers or winners)[0]
    verb = "lowers" if losers else "raises"
    return f"{verb} {name[m.column]}'s share of payment value by {effect_phrase(m, _abs(rows[m.column]), False)}"


def _neg(row) -> pd.Series:
    return pd.Series({"diff": -row["diff"], "lo": -row["hi"], "hi": -row["lo"]})


def _abs(row) -> pd.Series:
    return row if row["diff"] >= 0 else _neg(row)


def _change_clause(m: Metric, row, what: str) -> str:
    if covers_zero(row):
        return f"does not change {what} distinguishably from zero ({effect_phrase(m, row)})"
    verb = "raises" if row["diff"] > 0 else "lowers"
    return f"{verb} {what} by {effect_phrase(m, _abs(row), signed=False)}, to {m.level(row['mean'])}"


def scenario_sentence(group: str, rows: dict[str, pd.Series], metrics: list[Metric], when: str,
                      intervals: Intervals = Intervals()) -> str:
    """One sentence per scenario from its effects (rows: metric column -> effects row), naming the
    kind of interval in its brackets."""
    by = {m.column: m for m in metrics}
    clauses = [_payment_clause(rows, metrics)]
    if REACH in rows:
        clauses.append(_change_clause(by[REACH], rows[REACH], "mean merchant reach"))
    merchant = [c for c in (EXCLUSIVE, MULTI) if c in rows]
    moved = [c for c in merchant if not covers_zero(rows[c])]
    if moved:
        clauses.append(" and ".join(
            f"{'raises' if rows[c]['diff'] > 0 else 'cuts'} the share of {MERCHANT_SIDE[c]} by "
            f"{effect_phrase(by[c], _abs(rows[c]), signed=False)}" for c in moved))
    elif merchant:
        clauses.append("leaves merchants' exclusivity and multi-homing unchanged within the intervals")
    if SURPLUS in rows:
        clauses.append(_change_clause(by[SURPLUS], rows[SURPLUS], "consumer surplus"))
    clauses = [c for c in clauses if c]
    body = "; ".join(clauses[:-1]) + ("; and " if len(clauses) > 1 else "") + clauses[-1]
    return f"<b>{html.escape(group)}</b> {body} {when} {intervals.brackets}."


def reference_sentence(ref, metrics: list[Metric], when: str, intervals: Intervals = Intervals()) -> str:
    """The reference group's levels at the last month, the ground the effects stand on."""
    by = {m.column: m for m in metrics}

    def lvl(c: str) -> str:
        e = ref.end.loc[c]
        return f"{by[c].level(e['mean'])} [{by[c].level(e['lo'])}, {by[c].level(e['hi'])}]"

    parts = []
    shares = [m for m in metrics if m.column.startswith("pay_share_value_") and m.column in ref.end.index]
    if shares:
        parts.append("payment value is split " + ", ".join(
            f"{palette.display_name(m.column.removeprefix('pay_share_value_'))} {lvl(m.column)}" for m in shares))
    if REACH in ref.end.index:
        parts.append(f"a merchant reaches {lvl(REACH)} of consumers on average")
    if EXCLUSIVE in ref.end.index and MULTI in ref.end.index:
        parts.append(f"{lvl(EXCLUSIVE)} of merchants are under exclusivity and {lvl(MULTI)} list on two or "
                     "more marketplaces")
    return f"In <b>{html.escape(ref.group)}</b> {when}, " + "; ".join(parts) + f" {intervals.brackets}."


def summary_html(effects: pd.DataFrame, ref, metrics: list[Metric], stats: list, info: dict,
                 intervals: Intervals = Intervals()) -> str:
    """The written summary: the reference's levels, then one sentence per other group."""
    if ref is None:
        return ""
    when = _when(ref, info)
    out = [f"<p>{reference_sentence(ref, metrics, when, intervals)}</p>"]
    for gs in stats:
        sub = effects[effects.group == gs.group]
        if sub.empty:
            continue
        rows = {r.metric: r for _, r in sub.iterrows()}
        out.append(f"<li>{scenario_sentence(gs.group, rows, metrics, _when(gs, info), intervals)}</li>")
    paired = bool(effects["paired"].all()) if len(effects) else True
    return out[0] + f"<ul class='story'>{''.join(out[1:])}</ul>" + _effects_note(ref, paired, intervals)


def _effects_note(ref, paired: bool, iv: Intervals) -> str:
    """How the effects were measured: pairing and the kind of interval."""
    if iv.posterior:
        how = (f"paired by (replication, posterior draw): each run of a scenario is compared with the run of "
               f"{html.escape(ref.group)} on the same draw" + (" and seed" if paired else
                                                               "; <b>not on the same seed</b> (run the batch with "
                                                               "<code>--common-seeds</code> to pair the seeds too)"))
        what = (f"mean difference and the {iv.text}: the 2.5-97.5 percentile range of the paired differences, "
                "not a confidence interval of their mean. An effect whose range covers zero is reported as not "
                "distinguishable from zero")
    else:
        how = ("paired by replication (common random numbers: replication r of every scenario runs on the same "
               "seed)" if paired else "<b>not paired</b>: the scenarios ran on different seeds (run the batch with "
               "<code>--common-seeds</code> to pair them); intervals are Welch's")
        what = ("mean difference and 95% confidence interval (Student t; seed noise only). An effect whose "
                "interval covers zero is reported as not distinguishable from zero")
    return (f"<p class='meta'>Effects: scenario minus <b>{html.escape(ref.group)}</b> at the last month, {how}; "
            f"{what}. pp = percentage points.</p>")


def _when(gs, info: dict) -> str:
    si = info.get(gs.scenario)
    cal = month_label(si.start if si else None, gs.last_tick or 0)
    return f"by month {gs.last_tick}" + (f" ({cal})" if cal else "")


def effects_table(effects: pd.DataFrame, ref, metrics: list[Metric], stats: list) -> str:
    """Rows: metrics (with units); columns: the reference's level, then each scenario's effect and CI."""
    if ref is None or effects.empty:
        return ""
    groups = [gs.group for gs in stats if gs.group in set(effects.group)]
    colors = palette.scenario_colors([gs.group for gs in stats])
    head = "".join(f"<th><span class='dot' style='background:{colors[g]}'></span>{html.escape(g)}</th>"
                   for g in groups)
    body = []
    for m in metrics:
        if m.column not in ref.end.index:
            continue
        e = ref.end.loc[m.column]
        cells = [f"<th class='row'>{html.escape(m.short)}</th><td class='unit'>{html.escape(m.diff_unit)}</td>",
                 f"<td>{m.level(e['mean'])}</td>"]
        for g in groups:
            r = effects[(effects.group == g) & (effects.metric == m.column)]
            if r.empty or not np.isfinite(r.iloc[0]["diff"]):
                cells.append("<td>–</td>")
                continue
            r = r.iloc[0]
            cls = "zero" if covers_zero(r) else "moved"
            cells.append(f"<td class='{cls}'>{m.diff(r['diff'])}<br><span class='ci'>{_ci(m, r)}</span></td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (f"<div class='scroll'><table class='effects'><thead><tr><th>metric</th><th>unit of the effect</th>"
            f"<th>{html.escape(ref.group)} (level)</th>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
            "</div>")


def end_table(stats: list, metrics: list[Metric]) -> str:
    """End-state levels per group: mean and 95% CI of the mean."""
    head = "".join(f"<th title='{html.escape(m.title)}'>{html.escape(m.short)}</th>" for m in metrics)
    body = []
    for gs in stats:
        runs = f"{gs.done}/{gs.planned}" + (f" <span class='bad'>({gs.failed} failed)</span>" if gs.failed else "")
        cells = [f"<th class='row'>{html.escape(gs.group)}</th>", f"<td>{runs}</td>"]
        for m in metrics:
            if gs.end.empty or m.column not in gs.end.index or not gs.end.loc[m.column, "n"]:
                cells.append("<td>–</td>")
                continue
            e = gs.end.loc[m.column]
            ci = f"[{m.level(e['lo'])}, {m.level(e['hi'])}]" if e["n"] > 1 else ""
            cells.append(f"<td>{m.level(e['mean'])}<br><span class='ci'>{ci}</span></td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (f"<div class='scroll'><table class='summary'><thead><tr><th>scenario</th><th>runs</th>{head}</tr>"
            f"</thead><tbody>{''.join(body)}</tbody></table></div>")


def failures_html(failures: list[dict]) -> str:
    if not failures:
        return ""
    items = "".join(
        f"<li><code>{html.escape(str(f.get('run_id')))}</code> {html.escape(str(f.get('group', '')))}, "
        f"replication {html.escape(str(f.get('replication')))}, seed {html.escape(str(f.get('seed')))}: "
        f"{html.escape(str(f.get('error')))}</li>" for f in failures)
    return (f"<h2>Failed runs ({len(failures)})</h2><p>Tracebacks are in <code>failed/&lt;run_id&gt;.json</code>; "
            f"rerunning the batch command retries them.</p><ul>{items}</ul>")


def figures_html(figures: list[tuple[Metric, dict]]) -> str:
    """A grid of figures, each with PNG and SVG download buttons (drawn by plotly.js in the page)."""
    cells = []
    for i, (m, fig) in enumerate(figures):
        spec = json.dumps(fig, separators=(",", ":"), allow_nan=False).replace("</", "<\\/")
        name = m.column
        cells.append(
            f"<figure class='fig'><div id='fig{i}' class='plot' data-name='{name}'></div>"
            f"<figcaption>Download: <button onclick=\"dl('fig{i}','png')\">PNG</button> "
            f"<button onclick=\"dl('fig{i}','svg')\">SVG</button></figcaption>"
            f"<script type='application/json' id='fig{i}-spec'>{spec}</script></figure>")
    return f"<div class='grid'>{''.join(cells)}</div>"


JS = """
const CONFIG = {responsive: true, displaylogo: false, toImageButtonOptions: {format: 'png', scale: 2}};
const plots = [];
for (const el of document.querySelectorAll('.plot')) {
  const spec = JSON.parse(document.getElementById(el.id + '-spec').textContent);
  Plotly.newPlot(el, spec.data, spec.layout, CONFIG);
  plots.push(el);
}
function dl(id, format) {
  const el = document.getElementById(id);
  Plotly.downloadImage(el, {format, filename: el.dataset.name, width: 1000, height: 420});
}
// a legend click shows or hides that scenario in every figure; a double click shows it alone
function setVisible(pick) {
  for (const gd of plots) {
    const idx = [], vis = [];
    gd.data.forEach((t, i) => { if (t.legendgroup) { idx.push(i); vis.push(pick(t.legendgroup)); } });
    Plotly.restyle(gd, {visible: vis}, idx);
  }
}
const hidden = new Set();
for (const gd of plots) {
  gd.on('plotly_legendclick', ev => {
    const g = ev.data[ev.curveNumber].legendgroup;
    hidden.has(g) ? hidden.delete(g) : hidden.add(g);
    setVisible(x => hidden.has(x) ? 'legendonly' : true);
    return false;
  });
  gd.on('plotly_legenddoubleclick', ev => {
    const g = ev.data[ev.curveNumber].legendgroup;
    const all = new Set(ev.data.filter(t => t.legendgroup).map(t => t.legendgroup));
    const alone = hidden.size === all.size - 1 && !hidden.has(g);
    hidden.clear();
    if (!alone) all.forEach(x => { if (x !== g) hidden.add(x); });
    setVisible(x => hidden.has(x) ? 'legendonly' : true);
    return false;
  });
}
"""

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px auto;color:#222;max-width:1500px;
padding:0 16px} h1{margin-bottom:4px} .meta{color:#555;font-size:13px} code{background:#f3f3f3;padding:0 3px}
table{border-collapse:collapse;font-size:12px} th,td{border:1px solid #ddd;padding:4px 6px;text-align:right;
vertical-align:top} th{background:#f6f6f6} th.row{text-align:left;white-space:nowrap} .ci{color:#777;font-size:11px}
.scroll{overflow-x:auto} .bad{color:#b00} table.scen td{text-align:left} td.unit{text-align:left;color:#555}
td.moved{font-weight:600} td.zero{color:#999}
.story li{margin:4px 0} .story{line-height:1.45} p{line-height:1.45}
.dot{display:inline-block;width:10px;height:10px;border-radius:5px;margin-right:4px}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(640px,1fr));gap:8px 16px}
figure.fig{margin:0;border:1px solid #eee;padding:4px} figcaption{font-size:11px;color:#666;text-align:right}
figcaption button{font-size:11px;padding:1px 6px}
"""


def page(*, title: str, manifest: dict, stats: list, metrics: list[Metric], effects: pd.DataFrame, reference,
         info: dict, failures: list[dict], figures: list[tuple[Metric, dict]], band_text: str,
         intervals: Intervals = Intervals(), timing: str = "", regimes: str = "", games: str = "") -> str:
    """The whole HTML page: summary, effects, figures, end state, time to a share, games, scenarios, failures."""
    from plotly.offline import get_plotlyjs

    done = sum(gs.done for gs in stats)
    planned = sum(gs.planned for gs in stats)
    steps = manifest.get("steps")
    meta = (f"{done} of {planned} planned runs finished; {len(failures)} failed. "
            f"Replications: {manifest.get('replications')}; steps: {steps if steps is not None else 'per scenario'}; "
            f"master seed {manifest.get('master_seed')} (seeds: <code>{html.escape(str(manifest.get('seed_scheme')))}"
            f"</code>); batch started {html.escape(str(manifest.get('created')))}.")
    if manifest.get("overrides"):
        meta += f" Overrides: <code>{html.escape(json.dumps(manifest['overrides']))}</code>."
    if len(manifest.get("points") or [{}]) > 1:
        meta += f" Sweep: {len(manifest['points'])} points per scenario (common random numbers across points)."
    meta += _posterior_meta(manifest.get("posterior"))
    iv = intervals
    ref_name = html.escape(reference.group if reference else 'the baseline')
    if iv.posterior:
        cell = f"mean over the runs and, below, the {iv.text} of the differences paired by (replication, draw)"
        end_note = (f"Mean across the runs and, below it, the {iv.text}: the 2.5-97.5 percentile range of the "
                    "runs' end values.")
        line = "mean across runs (posterior draws x seeds)"
    else:
        cell = "mean over replications and, below, its 95% confidence interval"
        end_note = "Mean across replications and, below it, the 95% confidence interval of the mean (Student t)."
        line = "mean across replications"
    colors = palette.scenario_colors([gs.group for gs in stats])
    scen_rows = "".join(
        f"<tr><td><span class='dot' style='background:{colors.get(s['name'], '#999')}'></span>"
        f"<b>{html.escape(s['name'])}</b></td><td><code>{html.escape(s['source'])}</code></td>"
        f"<td>{html.escape(s.get('description', ''))}</td>"
        f"<td>{html.escape(_timeline(info.get(s['name'])))}</td></tr>" for s in manifest.get("scenarios", []))
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><style>{CSS}</style>
<script>{get_plotlyjs()}</script></head>
<body>
<h1>{html.escape(title)}</h1>
<p class="meta">{meta}</p>
<h2>Summary</h2>
{summary_html(effects, reference, metrics, stats, info, iv)}
{regimes}
<h2>Effects against {ref_name}</h2>
<p class="meta">Each cell: scenario minus {ref_name} at the
last month, {cell}. Bold: the interval excludes zero;
grey: it covers zero (no effect distinguishable from zero). Also in <code>effects.csv</code>.</p>
{effects_table(effects, reference, metrics, stats)}
<h2>Over time</h2>
<p class="meta">Lines: {line}; shaded: {band_text}. x axis: month (tick); dotted lines: policy
events of the scenarios' timelines (hover the ▼ for which). Click a scenario in any legend to hide or show it in
every figure, double-click to show it alone; hover for values. Each figure downloads as PNG or SVG (buttons below
it, or the camera in its toolbar). All runs, month by month: <code>timeseries.csv</code>.</p>
{figures_html(figures)}
<h2>End state (last month)</h2>
<p class="meta">{end_note}
Also in <code>summary.csv</code>.</p>
{end_table(stats, metrics)}
<h2>Time to a payment share</h2>
<p class="meta">Months (ticks) until a wallet's share of payment value first reached the level: the median over
all runs, a run that never reached it counted as later than any that did (so "most never" when fewer than half
did), and below it how many runs reached it and when the first and the last did. Also in
<code>time_to_share.csv</code>.</p>
{timing}
{games}
<h2>Scenarios</h2>
<table class="scen"><thead><tr><th>scenario</th><th>file</th><th>description</th><th>timeline</th></tr></thead>
<tbody>{scen_rows}</tbody></table>
{failures_html(failures)}
<script>{JS}</script>
</body></html>
"""


def regimes_html(split: pd.DataFrame, metrics: list[Metric]) -> str:
    """Scenarios whose runs end in two separate regimes (model.regimes): a mean describes no run."""
    if split.empty:
        return ""
    by = {m.column: m for m in metrics}
    items = []
    for r in split.itertuples():
        m = by[r.metric]
        why = f" The runs differ in: <code>{html.escape(r.policies)}</code> (share of runs in force, low vs high)." \
            if r.policies else ""
        items.append(f"<li><b>{html.escape(r.group)}</b>: {html.escape(m.short)} ends in two regimes, "
                     f"{m.level(r.mean_low)} in {r.runs_low} runs and {m.level(r.mean_high)} in {r.runs_high}; "
                     f"its mean and interval describe neither.{why}</li>")
    return ("<h3>Two regimes</h3><p class='meta'>End values split by a gap of at least 5 pp and three times the "
            "spread within each side (<code>regimes.csv</code>):</p><ul>" + "".join(items) + "</ul>")


def _posterior_meta(post: dict | None) -> str:
    if not post:
        return ""
    cols = ", ".join(post.get("columns", []))
    skipped = post.get("skipped_columns") or []
    rows = post.get("rows") or []
    shown = ", ".join(map(str, rows[:20])) + (", ..." if len(rows) > 20 else "")
    file, digest = html.escape(str(post.get("file"))), html.escape(str(post.get("sha256"))[:12])
    return (f" Posterior: {post['draws']} draws (file rows {shown}; 0 = the first) of <code>{file}</code> "
            f"(SHA-256 {digest}...), each run with every replication (a seed per replication and draw); "
            f"applied: <code>{html.escape(cols)}</code>"
            + (f"; not applied (history only): <code>{html.escape(', '.join(skipped))}</code>" if skipped else "")
            + ".")


def _timeline(si) -> str:
    if si is None or not si.events:
        return ""
    return "; ".join(f"month {e['tick']}" + (f" ({month_label(si.start, e['tick'])})" if si.start else "")
                     + f": {e['action']}" + (f" {e['target']}" if e.get("target") else "") for e in si.events)
