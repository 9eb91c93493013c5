"""Regimes: when a scenario's runs end in two separate clusters, say so instead of averaging them.

A metric's end values over runs split into two regimes when the widest gap between sorted values

    gap = v_(j+1) - v_(j)

is at least ``MIN_GAP`` and at least ``SEPARATION`` times the larger within-cluster sd, with
at least ``MIN_RUNS`` runs on each side.  A mean over such runs describes no run.  The policy
columns that differ between the two clusters (a platform's exclusivity, open payments, links
or mini-programs at the end) are reported beside them: they say which decision split the runs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

MIN_GAP = 0.05  # 5 pp of a share: below it, no analyst would call the outcomes different
SEPARATION = 3.0
MIN_RUNS = 2
POLICY_PREFIXES = ("exclusivity_", "open_payments_", "open_links_", "open_apps_")


def split(values: np.ndarray) -> int | None:
    """The number of runs in the lower regime, or None when the values form one cluster."""
    v = np.sort(np.asarray(values, dtype=float)[~np.isnan(values)])
    if v.size < 2 * MIN_RUNS:
        return None
    gaps = np.diff(v)
    j = int(np.argmax(gaps[MIN_RUNS - 1: v.size - MIN_RUNS])) + MIN_RUNS - 1  # both sides keep MIN_RUNS
    lo, hi = v[: j + 1], v[j + 1:]
    spread = max(lo.std(ddof=1), hi.std(ddof=1))
    return j + 1 if gaps[j] >= MIN_GAP and gaps[j] >= SEPARATION * spread else None


def table(stats: list, metrics: list[str]) -> pd.DataFrame:
    """One row per (group, metric) that splits: runs and mean in each regime, and the policies
    whose end values differ between the regimes (mean in each)."""
    rows = []
    for gs in stats:
        if gs.ends.empty:
            continue
        policies = [c for c in gs.ends.columns if c.startswith(POLICY_PREFIXES)]
        for m in metrics:
            if m not in gs.ends:
                continue
            v = gs.ends[m].to_numpy(dtype=float)
            n_lo = split(v)
            if n_lo is None:
                continue
            order = np.argsort(np.where(np.isnan(v), np.inf, v), kind="stable")
            low = np.zeros(v.size, dtype=bool)
            low[order[:n_lo]] = True
            ok = ~np.isnan(v)
            lo, hi = low & ok, ~low & ok
            differing = {p: (float(gs.ends[p][lo].mean()), float(gs.ends[p][hi].mean())) for p in policies
                         if abs(gs.ends[p][lo].mean() - gs.ends[p][hi].mean()) >= 0.5}
            rows.append({"group": gs.group, "metric": m, "runs_low": int(lo.sum()), "mean_low": float(v[lo].mean()),
                         "runs_high": int(hi.sum()), "mean_high": float(v[hi].mean()),
                         "policies": "; ".join(f"{p} {a:.2g} vs {b:.2g}" for p, (a, b) in differing.items())})
    return pd.DataFrame(rows, columns=["group", "metric", "runs_low", "mean_low", "runs_high", "mean_high",
                                       "policies"])
