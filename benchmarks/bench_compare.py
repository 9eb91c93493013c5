"""Speed of two commits side by side (run by hand; never part of the tests):

    python benchmarks/bench_compare.py OLD_REF [NEW_REF] --sizes 100000 1000000 --rounds 3

Each commit is checked out into a temporary git worktree and run with this environment's
Python (the model needs only numpy, mesa and pydantic).  Every round times each commit once,
in turns and in fresh processes, so both see the same machine state; a timing is the CPU time
of ``ticks`` steps of the baseline scenario (agents=False) after one warm-up step, so other load
on a shared machine slows neither.  Prints and writes consumer-ticks per CPU-second per commit,
size and round, and the ratio new / old of the medians.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

PROBE = """
import json, sys, time
from model.model import WalledGardens
n, ticks = int(sys.argv[1]), int(sys.argv[2])
m = WalledGardens("scenarios/baseline.toml",
                  overrides={"size.consumers": n, "size.merchants": min(max(n // 10, 100), 20000)}, agents=False)
m.step()
t0 = time.process_time()
for _ in range(ticks):
    m.step()
print(json.dumps({"cpu_s": time.process_time() - t0}))
"""


def worktree(ref: str, where: Path) -> Path:
    path = where / ref.replace("/", "_")
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(path), ref], check=True,
                   capture_output=True)
    return path


def probe(tree: Path, n: int, ticks: int) -> float:
    env = {"PYTHONPATH": str(tree), "OPENBLAS_NUM_THREADS": "1", "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", PROBE, str(n), str(ticks)], cwd=tree, env=env, check=True,
                         capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])["cpu_s"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("old")
    ap.add_argument("new", nargs="?", default="HEAD")
    ap.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--out", type=Path, default=Path(__file__).with_name("bench_compare.json"))
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        trees = {ref: worktree(ref, Path(tmp)) for ref in (args.old, args.new)}
        try:
            for n in args.sizes:
                ticks = max(5, min(30, 3_000_000 // n))
                rates = {ref: [] for ref in trees}
                for _ in range(args.rounds):
                    for ref, tree in trees.items():
                        rates[ref].append(n * ticks / probe(tree, n, ticks))
                med = {ref: statistics.median(v) for ref, v in rates.items()}
                row = {"consumers": n, "ticks": ticks,
                       **{f"{ref}_consumer_ticks_per_cpu_s": [round(r) for r in v] for ref, v in rates.items()},
                       "ratio_new_to_old": round(med[args.new] / med[args.old], 3)}
                rows.append(row)
                print(f"{n:>9,} consumers: " + "; ".join(
                    f"{ref} {med[ref] / 1e6:.2f}M ({min(v) / 1e6:.2f}-{max(v) / 1e6:.2f}M)" for ref, v in rates.items())
                    + f" consumer-ticks per CPU-second; new / old {row['ratio_new_to_old']}")
        finally:
            for tree in trees.values():
                subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)], check=False)
    args.out.write_text(json.dumps({"date": time.strftime("%Y-%m-%d"), "old": args.old, "new": args.new,
                                    "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
