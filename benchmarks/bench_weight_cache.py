"""Does the consumers' kept logit weight earn its place? (run by hand; never part of the tests)

    python benchmarks/bench_weight_cache.py --sizes 20000 100000 1000000 --rounds 3

``ConsumerPopulation`` keeps each consumer's weight exp(own part of V) and usable set, recomputed
only for consumers whose state changed (``update_weights(rows)``).  The alternative is to
recompute everybody's each tick.  This times both on the baseline (agents=False) in CPU seconds,
in turns: the kept weight stays only if it saves at least 10% of a tick (the project's rule for a
speed trick).  The numbers are identical either way (checked here on every tick).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import numpy as np

from model.consumers import ConsumerPopulation
from model.model import WalledGardens

SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "baseline.toml"
_checkout = ConsumerPopulation.checkout


def _recompute_all(self, market, *args, **kwargs):
    self.update_weights(market)  # everybody's weight, every tick
    return _checkout(self, market, *args, **kwargs)


def cpu_per_tick(n: int, ticks: int, recompute: bool) -> tuple[float, np.ndarray]:
    ConsumerPopulation.checkout = _recompute_all if recompute else _checkout
    try:
        m = WalledGardens(SCENARIO, seed=3, overrides={"size.consumers": n,
                                                        "size.merchants": min(max(n // 10, 100), 20000)},
                          agents=False)
        m.step()
        t0 = time.process_time()
        for _ in range(ticks):
            m.step()
        return (time.process_time() - t0) / ticks, m.results().drop(columns="tick").to_numpy()
    finally:
        ConsumerPopulation.checkout = _checkout


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[20_000, 100_000, 1_000_000])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--out", type=Path, default=Path(__file__).with_name("bench_weight_cache.json"))
    args = ap.parse_args()
    rows = []
    for n in args.sizes:
        ticks = max(5, min(30, 3_000_000 // n))
        kept, every = [], []
        for _ in range(args.rounds):
            a, ra = cpu_per_tick(n, ticks, False)
            b, rb = cpu_per_tick(n, ticks, True)
            assert np.array_equal(ra, rb, equal_nan=True), "recomputing every weight changed the numbers"
            kept.append(a)
            every.append(b)
        ka, kb = statistics.median(kept), statistics.median(every)
        row = {"consumers": n, "ticks": ticks, "kept_s_per_tick": [round(x, 5) for x in kept],
               "recompute_all_s_per_tick": [round(x, 5) for x in every], "saving_share_of_tick": round(1 - ka / kb, 3)}
        rows.append(row)
        print(f"{n:>9,} consumers: kept weights {1e3 * ka:.1f} ms/tick, recomputed every tick {1e3 * kb:.1f} ms "
              f"(CPU, median of {args.rounds}): saves {100 * row['saving_share_of_tick']:.0f}% of a tick")
    args.out.write_text(json.dumps({"date": time.strftime("%Y-%m-%d"), "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
