"""What do the agent reporters cost? (run by hand; never part of the tests)

    python benchmarks/bench_agent_reporters.py [--repeats 3] [--ticks 10]

Times a tick of the baseline (20,000 consumers, 2,000 merchants) without Mesa agents, with the
read-only agents (the default) and with ``agent_reporters=True`` (each consumer's main wallet and
marketplaces, each merchant's listings and exclusivity, collected every tick): wall-clock
milliseconds, median over ``--ticks`` ticks after two warm-up ticks, once per repeat.
"""

from __future__ import annotations

import argparse
import statistics
import time

from model.model import WalledGardens


def ms_per_tick(ticks: int, **kwargs) -> float:
    m = WalledGardens(**kwargs)
    m.run_for(2)
    times = []
    for _ in range(ticks):
        t = time.perf_counter()
        m.step()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1e3


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--ticks", type=int, default=10)
    args = ap.parse_args()
    for _ in range(args.repeats):
        none, views, reporters = (ms_per_tick(args.ticks, **kw) for kw in
                                  ({"agents": False}, {"agents": True}, {"agent_reporters": True}))
        print(f"ms per tick: no agents {none:.1f}, agents {views:.1f}, agent reporters {reporters:.1f}")


if __name__ == "__main__":
    main()
