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


def largest_of(path: str, seed: int, consumers: int, overrides: dict | None = None) -> dict:
    """A scenario run (at most 124 ticks): its largest swing, the tick of its event, the wallet and the move."""
    from .config import load, size_overrides
    from .model import WalledGardens

    steps = min(load(path).size.steps, 124)
    model = WalledGardens(path, seed=seed, overrides={**(overrides or {}), **size_overrides(consumers)}, agents=False)
    model.run_for(steps)
    table = swings(model.results(), model.cfg)
    if not len(table):
        return {"swing": 0.0, "tick": None, "wallet": None, "move": 0.0}
    row = table.loc[table["swing"].idxmax()]
    return {"swing": float(row["swing"]), "tick": int(row["tick"]), "wallet": row["wallet"], "move": float(row["move"])}


def main(argv: list[str] | None = None) -> None:
    """``python -m model.swings [SCENARIO.toml ...]``: the largest 6-month swing of each scenario."""
    import argparse
    from pathlib import Path

    from .batch import open_executor

    root = Path(__file__).resolve().parent.parent
    ap = argparse.ArgumentParser(prog="python -m model.swings", description=main.__doc__)
    ap.add_argument("scenarios", nargs="*", type=Path, default=sorted((root / "scenarios").glob("*.toml")))
    ap.add_argument("--consumers", type=int, default=20000)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args(argv)
    with open_executor(args.workers) as (ex, _):
        jobs = {(p.stem, s): ex.submit(largest_of, str(p), 100 + s, args.consumers)
                for p in args.scenarios for s in range(args.seeds)}
        res = {k: j.result() for k, j in jobs.items()}
    print(f"largest swing within {WINDOW} months of an event (limit {LIMIT:.0%}), {args.consumers} consumers, "
          f"seeds 100-{99 + args.seeds}")
    for p in args.scenarios:
        rows = [res[p.stem, s] for s in range(args.seeds)]
        worst = max(rows, key=lambda r: r["swing"])
        where = f"{worst['wallet']} {worst['move']:+.3f} after tick {worst['tick']}" if worst["tick"] is not None else "no event"
        print(f"{p.stem:28s} max {worst['swing']:.3f}  mean {sum(r['swing'] for r in rows) / len(rows):.3f}  ({where})")


if __name__ == "__main__":
    main()
