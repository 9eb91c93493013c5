"""The report's figures: one plotly figure (a plain dict) per metric, all scenarios in it.

Each figure has the mean across replications as a line and the band as a shaded area
(with posterior draws: the range over draws x seeds) per scenario, in the scenario's
palette colour, its legend beside it, axis titles with
units (shares in %), dotted lines at the scenarios' policy events (hover the marker at
the top for which), and calendar months in the hover text of dated scenarios, with a
calendar-year axis on top when they share one start month.
"""

from __future__ import annotations

import html
from collections.abc import Iterable

import numpy as np

from . import palette
from .report_metrics import Metric, month_label

HEIGHT = 360
HOVER_FORMAT = {"share": ".1%", "index": ",.0f", "level": ".4g"}


def _round(values: Iterable[float], digits: int = 5) -> list:
    """Values with ``digits`` significant digits (smaller HTML); NaN -> null (a gap)."""
    return [None if not np.isfinite(v) else float(f"{v:.{digits}g}") for v in values]


def event_markers(groups: list[str], scenario_of: dict[str, str], info: dict) -> dict[int, list[tuple[str, str]]]:
    """tick -> [(group, 'action: note'), ...] for every timeline event of the groups' scenarios."""
    out: dict[int, list[tuple[str, str]]] = {}
    for g in groups:
        si = info.get(scenario_of[g])
        for ev in si.events if si else []:
            what = ev["action"] + (f" {ev['target']}" if ev.get("target") else "")
            out.setdefault(int(ev["tick"]), []).append((g, what + (f" ({ev['note']})" if ev.get("note") else "")))
    return dict(sorted(out.items()))


def metric_figure(stats: list, metric: Metric, colors: dict[str, str], markers: dict[int, list[tuple[str, str]]],
                  starts: dict[str, str | None], band: str = "ci") -> dict:
    """One metric over time: a band and a mean line per group (see the module doc)."""
    data: list[dict] = []
    fmt = HOVER_FORMAT[metric.kind]
    band_name = {"ci": "95% CI", "range": "2.5-97.5%", "posterior": "2.5-97.5% over draws x seeds"}[band]
    horizon = 0
    for gs in stats:
        s = gs.series
        if s.empty or f"{metric.column}_mean" not in s or s[f"{metric.column}_mean"].isna().all():
            continue
        color = colors[gs.group]
        x = s["tick"].astype(int).tolist()
        horizon = max(horizon, x[-1])
        mean, lo, hi = (s[f"{metric.column}_{k}"].to_numpy(dtype=float) for k in ("mean", "lo", "hi"))
        data.append({"type": "scatter", "x": x + x[::-1], "y": _round(np.concatenate([hi, lo[::-1]])),
                     "fill": "toself", "fillcolor": palette.rgba(color, 0.16), "line": {"width": 0},
                     "hoverinfo": "skip", "legendgroup": gs.group, "showlegend": False, "name": gs.group})
        when = [f" ({month_label(starts.get(gs.group), t)})" if starts.get(gs.group) else "" for t in x]
        data.append({
            "type": "scatter", "mode": "lines", "x": x, "y": _round(mean), "name": gs.group,
            "legendgroup": gs.group, "line": {"color": color, "width": 2},
            "customdata": [[a, b, w] for a, b, w in zip(_round(lo), _round(hi), when)],
            "hovertemplate": (f"<b>{html.escape(gs.group)}</b><br>month %{{x}}%{{customdata[2]}}: %{{y:{fmt}}} "
                              f"[%{{customdata[0]:{fmt}}}, %{{customdata[1]:{fmt}}}] ({band_name}, n={gs.done})"
                              "<extra></extra>")})
    layout = {
        "title": {"text": html.escape(metric.title), "x": 0.01, "font": {"size": 14}},
        "height": HEIGHT, "template": "plotly_white", "margin": {"l": 64, "r": 10, "t": 48, "b": 44},
        "xaxis": {"title": {"text": "month (tick)"}, "range": [0, max(horizon, 1)], "zeroline": False},
        "yaxis": {"title": {"text": html.escape(metric.axis)}, "tickformat": ".0%" if metric.kind == "share" else "",
                  "zeroline": False},
        "legend": {"x": 1.02, "y": 1, "font": {"size": 11}, "tracegroupgap": 2},
        "hovermode": "closest", "shapes": [], "annotations": [],
    }
    _mark_events(layout, markers, colors, starts)
    data += _calendar_axis(layout, starts, horizon)
    return {"data": data, "layout": layout}


def _mark_events(layout: dict, markers: dict[int, list[tuple[str, str]]], colors: dict[str, str],
                 starts: dict[str, str | None]) -> None:
    """A dotted vertical line per event tick and a marker on top whose hover lists the events."""
    for tick, items in markers.items():
        groups = list(dict.fromkeys(g for g, _ in items))
        color = colors.get(groups[0], "#777") if len(groups) == 1 else "#777"
        lines = []
        for g in groups:
            when = month_label(starts.get(g), tick)
            what = "; ".join(w for gg, w in items if gg == g)
            lines.append(f"{html.escape(g)}{' (' + when + ')' if when else ''}: {html.escape(what)}")
        layout["shapes"].append({"type": "line", "x0": tick, "x1": tick, "y0": 0, "y1": 1, "yref": "paper",
                                 "line": {"color": color, "width": 1.2, "dash": "dot"}, "opacity": 0.8})
        layout["annotations"].append({"x": tick, "y": 1, "yref": "paper", "yanchor": "bottom", "text": "▼",
                                      "showarrow": False, "font": {"size": 9, "color": color},
                                      "hovertext": f"month {tick}<br>" + "<br>".join(lines)})


def _calendar_axis(layout: dict, starts: dict[str, str | None], horizon: int) -> list[dict]:
    """Calendar years along the top when the dated groups share one start month (returns the
    invisible trace an overlaying axis needs to be drawn)."""
    dated = {g: s for g, s in starts.items() if s}
    if not dated or len(set(dated.values())) != 1:
        return []
    start = next(iter(dated.values()))
    year, month = (int(v) for v in start.split("-"))
    first = (13 - month) % 12  # tick of the first January
    ticks = list(range(first, horizon + 1, 12))
    which = ", ".join(dated) if len(dated) < len(starts) else "all scenarios"
    layout["xaxis2"] = {"overlaying": "x", "side": "top", "range": layout["xaxis"]["range"], "tickvals": ticks,
                        "ticktext": [str(year + (month - 1 + t) // 12) for t in ticks], "showgrid": False,
                        "title": {"text": f"calendar year ({html.escape(which)})", "font": {"size": 10},
                                  "standoff": 2},
                        "tickfont": {"size": 10, "color": "#666"}}
    layout["margin"]["t"] = 78
    layout["title"]["y"] = 0.98
    return [{"type": "scatter", "x": [0], "y": [None], "xaxis": "x2", "showlegend": False, "hoverinfo": "skip"}]


def figures(stats: list, metrics: list[Metric], info: dict, band: str = "ci") -> list[tuple[Metric, dict]]:
    """(metric, figure) for every metric, with one colour per group from :mod:`model.palette`."""
    groups = [gs.group for gs in stats]
    colors = palette.scenario_colors(groups)
    scenario_of = {gs.group: gs.scenario for gs in stats}
    starts = {gs.group: (info[gs.scenario].start if gs.scenario in info else None) for gs in stats if gs.done}
    horizon = max((gs.last_tick or 0 for gs in stats), default=0)
    markers = {t: v for t, v in event_markers([gs.group for gs in stats if gs.done], scenario_of, info).items()
               if t <= horizon}
    return [(m, metric_figure(stats, m, colors, markers, starts, band)) for m in metrics]
