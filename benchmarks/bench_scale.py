"""How a tick's cost grows with the number of marketplaces K and wallets W (run by hand:
`python benchmarks/bench_scale.py`; never part of the tests).

Markets from :mod:`wide_market` (the baseline plus niche marketplaces and wallets) at 20,000
consumers and 2,000 merchants, all built in one process and timed in turns, so that the ratios
to the 6-marketplace, 3-wallet baseline share the machine's state.  For each (K, W): seconds per
tick (the best of the rounds, as timeit does), the ratio to the baseline tick, the tracemalloc
peak of building the model and stepping it, and what the market looks like after the warm-up
(marketplaces a consumer can buy on and a merchant lists on, on average).  Writes a JSON
summary next to this file.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from wide_market import wide_config  # noqa: E402

from model.model import WalledGardens  # noqa: E402

GRID = [(6, 3), (6, 6), (6, 10), (12, 6), (20, 6), (30, 6), (40, 6), (40, 10)]


def peak_bytes(markets: int, wallets: int, consumers: int, ticks: int = 3) -> int:
    gc.collect()
    tracemalloc.start()
    model = WalledGardens(wide_config(markets, wallets, consumers), seed=1, agents=False)
    for _ in range(ticks):
        model.step()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--consumers", type=int, default=20_000)
    ap.add_argument("--warm-up", type=int, default=24, help="ticks before timing (the market settles)")
    ap.add_argument("--ticks", type=int, default=5, help="ticks per timing")
    ap.add_argument("--rounds", type=int, default=6, help="timings per market, taken in turns")
    ap.add_argument("--out", type=Path, default=Path(__file__).with_name("bench_scale.json"))
    args = ap.parse_args()
    models = {}
    for K, W in GRID:
        m = WalledGardens(wide_config(K, W, args.consumers), seed=1, agents=False)
        m.run_for(args.warm_up)
        models[K, W] = m
    timings: dict[tuple, list[float]] = {key: [] for key in models}
    for _ in range(args.rounds):
        for key, m in models.items():
            t0 = time.perf_counter()
            m.run_for(args.ticks)
            timings[key].append((time.perf_counter() - t0) / args.ticks)
    base = min(timings[GRID[0]])
    rows = []
    for (K, W), m in models.items():
        best = min(timings[K, W])
        row = {"marketplaces": K, "wallets": W, "consumers": args.consumers, "merchants": m.merchants.m,
               "s_per_tick": round(best, 5), "ratio_to_6x3": round(best / base, 2),
               "timings_s": [round(t, 5) for t in timings[K, W]],
               "peak_mb": round(peak_bytes(K, W, args.consumers) / 1e6, 1),
               "marketplaces_per_consumer": round(float(np.bitwise_count(m.last_purchases.can_buy).mean()), 2),
               "marketplaces_per_merchant": round(float(m.merchants.n_listings.mean()), 2)}
        rows.append(row)
        print(f"K={K:2d} W={W:2d}: {1e3 * best:7.2f} ms/tick ({row['ratio_to_6x3']}x the 6x3 tick), "
              f"peak {row['peak_mb']} MB; a consumer can buy on {row['marketplaces_per_consumer']}, "
              f"a merchant lists on {row['marketplaces_per_merchant']} marketplaces")
    args.out.write_text(json.dumps({"date": time.strftime("%Y-%m-%d"), "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
