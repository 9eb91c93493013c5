"""time_to_share_<wallet>_<level>: the month a wallet's value share first reached a level, and how
the report summarises it (runs that never reach it are ranked last, not averaged in as -1)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

from model import batch, report, report_timing
from model.metrics import SHARE_LEVELS
from model.model import WalledGardens

REPO = Path(__file__).resolve().parents[1]
SMALL = {"size.consumers": 2000, "size.merchants": 200}


def test_metric_is_the_first_month_the_share_reached_the_level():
    model = WalledGardens(REPO / "scenarios" / "payment_interop.toml", seed=3, overrides=SMALL, agents=False)
    model.run_for(30)
    df = model.results().set_index("tick")
    for w in model.market.wallets:
        share = df[f"pay_share_value_{w}"]
        for level in SHARE_LEVELS:
            col = df[f"time_to_share_{w}_{level:g}"]
            reached = share.index[share >= level]
            for t in df.index:  # at each month: the first month up to then, or -1
                first = [s for s in reached if s <= t]
                assert col.loc[t] == (first[0] if first else -1), (w, level, t)


def _stats(values: list[float], name: str = "g") -> report.GroupStats:
    ends = pd.DataFrame({"time_to_share_alipay_0.5": values})
    return report.GroupStats(name, name, len(values), len(values), 0, pd.DataFrame(), pd.DataFrame(), ends)


def test_never_ranks_last_and_a_median_needs_half_the_runs():
    t = report_timing.table([_stats([4, 10, -1, 6, -1])])
    row = t.iloc[0]
    assert (row.wallet, row.level, row.runs, row.reached) == ("alipay", 0.5, 5, 3)
    assert row.median_month == 10 and row.first_month == 4 and row.last_month == 10
    most_never = report_timing.table([_stats([3, -1, -1])]).iloc[0]
    assert np.isnan(most_never.median_month) and most_never.reached == 1
    assert "most never" in report_timing.html_table(report_timing.table([_stats([3, -1, -1])]))
    assert "never (2 runs)" in report_timing.html_table(report_timing.table([_stats([-1, -1], "a"), _stats([2, 2], "b")]))


def test_report_writes_the_table(tmp_path):
    p = batch.plan([REPO / "scenarios" / "baseline.toml"], 2, steps=6, overrides=SMALL)
    with ThreadPoolExecutor(2) as ex:
        batch.run_batch(p, tmp_path, executor=ex, progress=False)
    page = report.build_report(tmp_path).read_text()
    t = pd.read_csv(tmp_path / "time_to_share.csv")
    assert set(t["wallet"]) >= {"alipay", "wechat_pay"} and set(t["level"]) == set(SHARE_LEVELS)
    assert (t["runs"] == 2).all() and (t["reached"] <= t["runs"]).all()
    assert "<h2>Time to a payment share</h2>" in page
