"""Armstrong and Rochet-Tirole docked through the agent model: the numbers of docs/ODD.md 7.11.

Runs ``model.price_docking`` on ``scenarios/docking/armstrong.toml`` and ``rochet_tirole.toml`` and
prints, against the closed forms of ``model.theory``:

1. Armstrong: the model's symmetric equilibrium (commission, listing fee) for four parameter cases
   and seeds, the closed form with the logit-flattened transport cost and the nominal one;
2. Rochet-Tirole: the monopoly's optimum on the model's revenue, the price-structure rule for the
   restriction's demands, and the elasticity rules with the model's measured elasticities;
3. the platform's own hill-climbing (7.7) on the Rochet-Tirole restriction: mean prices over the
   second half of the run and revenue against the optimum.

``python scripts/price_docking.py [--seeds 3] [--climb-ticks 800] [--big-merchants 200000]``
(about two minutes on a busy two-core machine; ``--big-merchants 0`` skips the slow run).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from model import price_docking as D  # noqa: E402
from model import theory as T  # noqa: E402
from model.config import load  # noqa: E402

CASES = {  # t1, a1 (consumers) and t2, a2 (merchants) through the scenario's keys
    "t=(0.5,0.5) a=(0.25,0.25)": {},
    "t=(0.4,0.6) a=(0.1,0.3)": {"consumer.taste_sd": 4.0, "consumer.b_merchants": 1.0,
                                "merchant.fixed_benefit.hotelling_cost": 0.6,
                                "merchant.fixed_benefit.per_buyer_share": 0.3},
    "t=(0.4,0.5) a=(0,0)": {"consumer.taste_sd": 4.0, "consumer.b_merchants": 0.0,
                            "merchant.fixed_benefit.per_buyer_share": 0.0},
    "t=(0.4,0.7) a=(0.4,0.1)": {"consumer.taste_sd": 4.0, "consumer.b_merchants": 4.0,
                                "merchant.fixed_benefit.hotelling_cost": 0.7,
                                "merchant.fixed_benefit.per_buyer_share": 0.1},
}
RUN = {"ticks": 15, "tail": 10}


def gap(x: float, want: float) -> str:
    return f"{100 * (x / want - 1):+.2f}%"


def armstrong(seeds: int) -> None:
    print("1. Armstrong: model equilibrium vs closed form (logit-flattened t; nominal t)")
    for name, ov in CASES.items():
        P = D.armstrong_parameters(load(D.ARMSTRONG, ov))
        cf = T.armstrong_closed_form(P["t1_logit"], P["t2_logit"], P["a1"], P["a2"])
        nominal = T.armstrong_closed_form(P["t1"], P["t2"], P["a1"], P["a2"])
        for seed in range(1, (seeds if not ov else 1) + 1):
            t = time.time()
            eq = D.armstrong_equilibrium(seed=seed, overrides=ov, **RUN)
            c, f = eq["commission"], eq["fixed_fee"]
            print(f"  {name} seed {seed}: commission {c:.4f} (closed form {cf['p1']:.4f} {gap(c, cf['p1'])}; "
                  f"nominal {nominal['p1']:.4f} {gap(c, nominal['p1'])}), listing fee {f:.4f} ({cf['p2']:.4f} "
                  f"{gap(f, cf['p2'])}), buyers {eq['buyers'][0]:.4f}, sellers {eq['sellers'][0]:.4f}, "
                  f"{eq['steps']} steps, {time.time() - t:.0f} s")


def rochet_tirole(seeds: int) -> None:
    cfg = load(D.ROCHET_TIROLE)
    buyers, sellers = D.rochet_tirole_demands(cfg)
    cost = cfg.platforms["p"].marketplaces["m"].cost
    want = T.rochet_tirole_prices(buyers, sellers, cost, start=(0.2, 0.2))
    print(f"2. Rochet-Tirole: theory p_B {want['p_B']:.4f}, p_S {want['p_S']:.4f} "
          f"(eta_B {want['eta_B']:.3f}, eta_S {want['eta_S']:.3f})")
    for run in (RUN, {"ticks": 30, "tail": 20}):
        for seed in range(1, seeds + 1):
            opt = D.rochet_tirole_optimum(seed=seed, **run)
            x = np.array([opt["consumer_price"], opt["commission"]])
            eB, eS = D.elasticities(D.ROCHET_TIROLE, x, seed=seed, **run)
            p = x.sum()
            print(f"  {run['ticks']} ticks seed {seed}: p_B {x[0]:.4f} ({gap(x[0], want['p_B'])}), p_S {x[1]:.4f} "
                  f"({gap(x[1], want['p_S'])}); model eta_B {eB:.3f}, eta_S {eS:.3f}: Lerner {(p - cost) / p:.4f} vs "
                  f"1/(eta_B+eta_S) {1 / (eB + eS):.4f}; p_B/eta_B {x[0] / eB:.4f} vs p_S/eta_S {x[1] / eS:.4f}")


def hill_climb(seeds: int, ticks: int, big: int) -> None:
    print(f"3. hill-climbing (7.7) from (0.2, 0.2), moves every 4 ticks, first step 0.01; means of ticks "
          f"{ticks // 2}-{ticks}")
    runs = [(seed, {}) for seed in range(1, seeds + 1)] + ([(1, {"size.merchants": big})] if big else [])
    for seed, ov in runs:
        cfg = load(D.ROCHET_TIROLE, ov)
        buyers, sellers = D.rochet_tirole_demands(cfg)
        cost = cfg.platforms["p"].marketplaces["m"].cost
        want = T.rochet_tirole_prices(buyers, sellers, cost, start=(0.2, 0.2))

        def revenue(pB, pS):
            return (pB + pS - cost) * buyers(pB) * sellers(pS)

        path = D.rochet_tirole_hill_climb(ticks=ticks, seed=seed, overrides=ov)
        half = path[ticks // 2:]
        x = half.mean(axis=0)
        print(f"  seed {seed} {ov or ''}: p_B {x[0]:.4f} ({gap(x[0], want['p_B'])}), p_S {x[1]:.4f} "
              f"({gap(x[1], want['p_S'])}), total {x.sum():.4f} ({gap(x.sum(), want['p_B'] + want['p_S'])}); "
              f"revenue {revenue(*half.T).mean() / revenue(want['p_B'], want['p_S']):.4f} of the optimum")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--climb-ticks", type=int, default=800)
    ap.add_argument("--big-merchants", type=int, default=200_000)
    args = ap.parse_args()
    armstrong(args.seeds)
    rochet_tirole(args.seeds)
    hill_climb(args.seeds, args.climb_ticks, args.big_merchants)


if __name__ == "__main__":
    main()
