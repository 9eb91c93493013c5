"""Policy swings: how far a share moves within six months of a single event.

No published series shows a payment share moving by more than a few points within months of
a policy (../shared/DOMAIN.md: none after Taobao accepted WeChat Pay in 2024), so a swing
larger than :data:`LIMIT` within :data:`WINDOW` ticks of an event is a defect of the model's
adjustment speed, not a finding.  An event is a scheduled one (``[[events]]``, a market
entry) or a policy change the run itself made (a platform's decision, a remedy), read from
the policy metrics.  The swing of event t is

    max over wallets w and ticks t <= s <= t + WINDOW of |share_w(s) - share_w(t - 1)|,

the value share just before the event against each of the six months after.
"""

from __future__ import annotations

import pandas as pd

WINDOW = 6  # months after the event
LIMIT = 0.05  # the largest swing the evidence allows without a data point that shows it
POLICY_PREFIXES = ("exclusivity_", "open_payments_", "open_links_", "open_apps_")
SETTLE = 12  # ticks from the initial state before swings are judged (the state is not at rest yet)


def event_ticks(results: pd.DataFrame, cfg=None) -> list[int]:
    """Ticks of the events: scheduled ones and market entries of ``cfg``, and every tick at which
    a policy metric changed (the run's own decisions)."""
    df = results.set_index("tick") if "tick" in results else results
    ticks = set()
    if cfg is not None:
        ticks |= {ev.tick for ev in cfg.events}
        ticks |= {m.enters_at for p in cfg.platforms.values() for m in p.marketplaces.values() if m.enters_at}
    policy = df[[c for c in df if c.startswith(POLICY_PREFIXES)]]
    if not policy.empty:
        changed = (policy.diff().abs().sum(axis=1) > 0)
        ticks |= set(int(t) for t in changed.index[changed])
    first, last = int(df.index.min()), int(df.index.max())
    return sorted(t for t in ticks if first < t <= last)


def swings(results: pd.DataFrame, cfg=None, window: int = WINDOW, settle: int = SETTLE) -> pd.DataFrame:
    """One row per event after ``settle``: tick, the wallet that moved most, its share before, the
    signed largest move within ``window`` ticks, and that move's size."""
    df = results.set_index("tick") if "tick" in results else results
    shares = df[[c for c in df if c.startswith("pay_share_value_")]]
    rows = []
    for t in event_ticks(results, cfg):
        if t < settle or t - 1 not in shares.index:
            continue
        after = shares.loc[t:t + window] - shares.loc[t - 1]
        col = after.abs().max().idxmax()
        s = int(after[col].abs().idxmax())
        rows.append({"tick": t, "wallet": col.removeprefix("pay_share_value_"), "before": shares.loc[t - 1, col],
                     "move": after.loc[s, col], "months": s - t, "swing": abs(after.loc[s, col])})
    return pd.DataFrame(rows, columns=["tick", "wallet", "before", "move", "months", "swing"])


def largest(results: pd.DataFrame, cfg=None) -> float:
    """The largest swing of any event (0 when there is none)."""
    table = swings(results, cfg)
    return float(table["swing"].max()) if len(table) else 0.0
