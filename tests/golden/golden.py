"""Golden baseline: small runs of every scenario, stored so that any change of numbers is seen.

``python tests/golden/golden.py`` rewrites the stored files from the current model; a commit
that does so must say which numbers moved and why.  ``tests/test_golden.py`` compares.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
SERIES, ACTIONS = HERE / "series.csv", HERE / "actions.csv"
SIZE = {"size.consumers": 2000, "size.merchants": 200}
SEEDS = (1, 2)
STEPS = 120  # long enough for every scenario's timeline (tick 60 policies, the 2015-2024 history)
KEEP_EVERY = 12  # stored ticks: 0, 12, ..., 120 (a moved number anywhere moves these too)


def scenarios() -> list[Path]:
    return sorted((ROOT / "scenarios").glob("*.toml"))


def run(path: Path, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    sys.path.insert(0, str(ROOT))
    from model.model import WalledGardens

    m = WalledGardens(path, seed=seed, overrides=SIZE, agents=False)
    m.run_for(STEPS)
    df = m.results()
    df = df[df.tick % KEEP_EVERY == 0]
    log = m.regulator_log()[["tick", "action", "target", "amount"]]
    df = df.drop(columns="seed")
    for frame in (df, log):
        frame.insert(0, "seed", seed)
        frame.insert(0, "scenario", path.stem)
    return df, log


def compute() -> tuple[pd.DataFrame, pd.DataFrame]:
    runs = [run(p, s) for p in scenarios() for s in SEEDS]
    series = pd.concat([r[0] for r in runs], ignore_index=True)
    actions = pd.concat([r[1] for r in runs], ignore_index=True)
    return series, actions


def main() -> None:
    series, actions = compute()
    series.to_csv(SERIES, index=False, float_format="%.17g")
    actions.to_csv(ACTIONS, index=False, float_format="%.17g")
    print(f"wrote {SERIES.relative_to(ROOT)} ({len(series)} rows x {series.shape[1]} columns) and "
          f"{ACTIONS.relative_to(ROOT)} ({len(actions)} actions)")


if __name__ == "__main__":
    main()
