"""Time to a share: months until a wallet first reaches a payment-value share level, per group.

A run's ``time_to_share_<wallet>_<level>`` at its last tick is the tick the level was first
reached, or -1 if it never was.  Runs that never reach the level are not averaged in as a
number: the table gives how many runs reached it and the median over all runs with "never"
ranked last, so a median exists only when at least half the runs reached the level.
"""

from __future__ import annotations

import html
import re

import numpy as np
import pandas as pd

from .palette import display_name

PATTERN = re.compile(r"^time_to_share_(?P<wallet>.+)_(?P<level>[0-9.]+)$")
COLUMNS = ["group", "scenario", "wallet", "level", "runs", "reached", "median_month", "first_month", "last_month"]


def columns(names: list[str]) -> list[str]:
    return [c for c in names if PATTERN.match(c)]


def table(stats: list) -> pd.DataFrame:
    """One row per (group, wallet, level) from each group's end-of-run values (``GroupStats.ends``)."""
    rows = []
    for gs in stats:
        for col in columns(list(gs.ends.columns)):
            m = PATTERN.match(col)
            v = gs.ends[col].to_numpy(dtype=float)
            v = v[~np.isnan(v)]
            hit = np.sort(v[v >= 0])
            ranked = np.concatenate([hit, np.full(v.size - hit.size, np.inf)])  # never: last
            median = float(np.median(ranked)) if v.size else np.nan
            rows.append({"group": gs.group, "scenario": gs.scenario, "wallet": m["wallet"], "level": float(m["level"]),
                         "runs": int(v.size), "reached": int(hit.size),
                         "median_month": median if np.isfinite(median) else np.nan,
                         "first_month": float(hit[0]) if hit.size else np.nan,
                         "last_month": float(hit[-1]) if hit.size else np.nan})
    return pd.DataFrame(rows, columns=COLUMNS)


def _cell(r) -> str:
    if r.reached == 0:
        return f"never ({r.runs} runs)"
    spread = f"months {r.first_month:.0f}-{r.last_month:.0f}" if r.first_month != r.last_month else \
        f"month {r.first_month:.0f}"
    median = f"month {r.median_month:.0f}" if np.isfinite(r.median_month) else "most never"
    return f"{median}<br><span class='ci'>{r.reached}/{r.runs} runs; {spread}</span>"


def html_table(t: pd.DataFrame) -> str:
    """Groups as rows, (wallet, level) as columns: the pairs some run reached."""
    t = t[t.groupby(["wallet", "level"])["reached"].transform("sum") > 0]
    if t.empty:
        return "<p class='meta'>No wallet reached a recorded share level in any run.</p>"
    pairs = list(dict.fromkeys(zip(t["wallet"], t["level"])))
    head = "".join(f"<th>{html.escape(display_name(w))} &ge; {100 * lv:.0f}%</th>" for w, lv in pairs)
    body = []
    for group, g in t.groupby("group", sort=False):
        cells = {(r.wallet, r.level): _cell(r) for r in g.itertuples()}
        body.append(f"<tr><td><b>{html.escape(group)}</b></td>"
                    + "".join(f"<td>{cells.get(p, '–')}</td>" for p in pairs) + "</tr>")
    return f"<table><thead><tr><th>scenario</th>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
