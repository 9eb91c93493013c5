"""Brock-Durlauf basins of the full model on the small-world graph and on a random graph.

Steps the whole ``WalledGardens`` built from ``scenarios/docking/brock_durlauf.toml`` (through
``model.theory.brock_durlauf_run``) and compares where runs end with the finite-degree map
(``brock_durlauf_binomial_map``, the exact rule for d contacts with i.i.d. holdings) and the
mean-field closed form.  Prints the tables quoted in docs/ODD.md section 7.11:

1. fixed points of the finite-degree map by contacts, and the contacts needed for them to be
   within 0.01 of the mean-field closed form;
2. end shares of named cases, seed by seed, on each graph;
3. basin boundaries of the full model at the scenario's 40 ticks (bisection on the start share);
4. invasion from the lower stable state on the small world (ticks until the share crosses the
   middle of the stable states), over a longer horizon;
5. local clusters: how much more often holders' contacts hold than non-holders' contacts;
6. the stable states each graph settles at, by contacts;
7. fixed points of the model's one-round map, against F_d and the mean field.

``python scripts/brock_durlauf_basins.py [--consumers 20000] [--seeds 3] [--out FILE.json]``
(about half an hour on a busy two-core machine at the defaults; tables 3 and 4 take most of it).
"""

from __future__ import annotations

import argparse
import datetime
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from model import theory as T  # noqa: E402

CASES = [(1.0, 4.0, 0.0), (1.0, 3.0, 0.1), (1.0, 3.0, 0.2), (1.0, 3.0, 0.3), (1.0, 4.0, 0.5), (1.0, 4.0, -0.5)]
MAP_DEGREES = (4, 6, 10, 16, 32, 64)
DEGREES = (10, 16, 32, 64)
GRAPHS = {"small world": 0.1, "random": 1.0}
STEPS = 40  # the docking scenario's run length
# (beta, gamma, a), contacts, starts: the rows the tests assert, and the case
NAMED = [((1.0, 4.0, 0.0), 10, (0.45, 0.55)),
         ((1.0, 3.0, 0.2), 10, (0.30, 0.36)),
         ((1.0, 4.0, 0.5), 10, (0.28, 0.35)),
         ((1.0, 4.0, -0.5), 10, (0.64, 0.72)),
         ((1.0, 3.0, 0.3), 10, (0.15,)),
         ((1.0, 3.0, 0.3), 64, (0.30,)),
         ((1.0, 3.0, 0.1), 10, (0.38,))]


def fmt(xs) -> str:
    return ", ".join(f"{x:.3f}" for x in xs)


def header(title: str, columns: list[str]) -> None:
    """A markdown table's title, column names and rule."""
    print(f"\n## {title}\n")
    print("| " + " | ".join(columns) + " |")
    print("|" + "---|" * len(columns))


def stable_mid(case, d) -> tuple[float, float, float]:
    """Lower and upper stable fixed points of the finite-degree map (mean field if it has one) and
    their midpoint, the line between 'ended low' and 'ended high'."""
    eq = T.brock_durlauf_binomial_equilibria(*case, d)
    if len(eq) < 3:
        eq = T.brock_durlauf_equilibria(*case)
    return eq[0], eq[-1], (eq[0] + eq[-1]) / 2


def table_map() -> list[dict]:
    header("1. Fixed points of the finite-degree map F_d (mean field: d -> infinity)",
           ["(beta, gamma, a)", "mean field", *(f"d = {d}" for d in MAP_DEGREES), "contacts for 0.01"])
    rows = []
    for case in CASES:
        mf = T.brock_durlauf_equilibria(*case)
        by_d = {d: T.brock_durlauf_binomial_equilibria(*case, d) for d in MAP_DEGREES}
        need = T.brock_durlauf_min_degree(*case)
        rows.append({"case": case, "mean_field": mf, "by_degree": by_d, "min_degree": need})
        print(f"| {case} | {fmt(mf)} | " + " | ".join(fmt(by_d[d]) for d in MAP_DEGREES)
              + f" | {need if need else '> 256'} |", flush=True)
    return rows


def table_named(seeds, consumers) -> list[dict]:
    header(f"2. End share at tick {STEPS}, seed by seed (seeds {list(seeds)})",
           ["(beta, gamma, a)", "d", "start", "F_d path at 40", "mean-field path at 40", "small world", "random"])
    rows = []
    for case, d, starts in NAMED:
        for s0 in starts:
            ends = {g: [float(T.brock_durlauf_run(*case, s0, degree=d, rewire=r, seed=s, consumers=consumers)[-1])
                        for s in seeds] for g, r in GRAPHS.items()}
            fd = float(T.brock_durlauf_binomial_path(s0, *case, d, STEPS)[-1])
            mf = s0
            for _ in range(STEPS):
                mf = float(T.brock_durlauf_map(mf, *case))
            rows.append({"case": case, "degree": d, "start": s0, "finite_degree": fd, "mean_field": mf, **ends})
            print(f"| {case} | {d} | {s0:.2f} | {fd:.3f} | {mf:.3f} | {fmt(ends['small world'])} | "
                  f"{fmt(ends['random'])} |", flush=True)
    return rows


def boundary(case, d, rewire, seeds, consumers, iters: int) -> dict:
    """Start share splitting the full model's basins at tick STEPS: a start counts as 'high' when most
    seeds end above the midpoint of the finite-degree stable states; bisection from [low, high]."""
    lo_eq, hi_eq, mid = stable_mid(case, d)

    def high(s0: float) -> bool:
        ends = [T.brock_durlauf_run(*case, s0, degree=d, rewire=rewire, seed=s, consumers=consumers)[-1]
                for s in seeds]
        return sum(e > mid for e in ends) * 2 > len(ends)

    lo, hi = lo_eq, hi_eq
    if high(lo):
        return {"boundary": None, "note": f"below {lo:.3f}: the lower stable state tips up"}
    if not high(hi):
        return {"boundary": None, "note": f"above {hi:.3f}: the upper stable state tips down"}
    for _ in range(iters):
        m = (lo + hi) / 2
        lo, hi = (lo, m) if high(m) else (m, hi)
    return {"boundary": (lo + hi) / 2, "half_width": (hi - lo) / 2}


def table_boundaries(seeds, consumers, iters) -> list[dict]:
    header(f"3. Basin boundary of the full model at tick {STEPS} (start share; majority of seeds {list(seeds)}; "
           "bisection, +- half-width)", ["(beta, gamma, a)", "d", "mean field", "F_d", "random graph", "small world"])
    rows = []
    for case in CASES:
        mf = T.brock_durlauf_equilibria(*case)
        for d in DEGREES:
            fd = T.brock_durlauf_binomial_equilibria(*case, d)
            got = {g: boundary(case, d, r, seeds, consumers, iters) for g, r in GRAPHS.items()}
            rows.append({"case": case, "degree": d, "mean_field": mf[1] if len(mf) == 3 else None,
                         "finite_degree": fd[1] if len(fd) == 3 else None, **got})

            def cell(b):
                return f"{b['boundary']:.3f} +- {b['half_width']:.3f}" if b["boundary"] is not None else b["note"]

            print(f"| {case} | {d} | {fmt(mf[1:2]) if len(mf) == 3 else 'none'} | "
                  f"{fmt(fd[1:2]) if len(fd) == 3 else 'none (one fixed point)'} | {cell(got['random'])} | "
                  f"{cell(got['small world'])} |", flush=True)
    return rows


def table_invasion(seeds, consumers, horizon) -> list[dict]:
    header(f"4. From the lower stable state of F_d: ticks until the share crosses the midpoint (seeds "
           f"{list(seeds)}, at most {horizon} ticks; '-' never)", ["(beta, gamma, a)", "d", "start", *GRAPHS])
    rows = []
    for case in CASES:
        if case[2] <= 0:  # a <= 0: the lower state is risk-dominant (or neither is); nothing to invade it
            continue
        for d in DEGREES:
            lo_eq, _, mid = stable_mid(case, d)
            ticks = {}
            for g, r in GRAPHS.items():
                ticks[g] = []
                for s in seeds:
                    m = T.brock_durlauf_model(*case, lo_eq, seed=s, consumers=consumers, degree=d, rewire=r)
                    for _ in range(horizon):  # stop at the first crossing
                        m.step()
                        if m.current["holds_w"] > mid:
                            break
                    ticks[g].append(int(m.time) if m.current["holds_w"] > mid else None)
            rows.append({"case": case, "degree": d, "start": lo_eq, **ticks})
            show = {g: ", ".join("-" if t is None else str(t) for t in v) for g, v in ticks.items()}
            print(f"| {case} | {d} | {lo_eq:.3f} | {show['small world']} | {show['random']} |", flush=True)
    return rows


def table_clusters(seeds, consumers) -> list[dict]:
    header("5. Local clusters: contacts' share holding among holders minus among non-holders, tick 10",
           ["(beta, gamma, a)", "d", "start", *GRAPHS])
    rows = []
    for case, d, s0 in (((1.0, 3.0, 0.2), 10, 0.30), ((1.0, 3.0, 0.3), 64, 0.30)):
        ex = {}
        for g, r in GRAPHS.items():
            ex[g] = []
            for s in seeds:
                m = T.brock_durlauf_model(*case, s0, seed=s, consumers=consumers, degree=d, rewire=r)
                m.run_for(10)
                ex[g].append(T.brock_durlauf_contact_excess(m))
        rows.append({"case": case, "degree": d, "start": s0, **ex})
        print(f"| {case} | {d} | {s0:.2f} | {fmt(ex['small world'])} | {fmt(ex['random'])} |", flush=True)
    return rows


def table_stable(seeds, consumers) -> list[dict]:
    header(f"6. Stable states: mean share over ticks 31-40 from each stable fixed point of F_d (seeds {list(seeds)})",
           ["(beta, gamma, a)", "d", "F_d lower, upper", *GRAPHS])
    rows = []
    for case in ((1.0, 4.0, 0.0), (1.0, 3.0, 0.1)):  # no invasion from the lower state within 300 ticks
        for d in DEGREES:
            eq = T.brock_durlauf_binomial_equilibria(*case, d)
            got = {}
            for g, r in GRAPHS.items():
                got[g] = [[float(T.brock_durlauf_run(*case, x, degree=d, rewire=r, seed=s,
                                                     consumers=consumers)[-10:].mean()) for s in seeds]
                          for x in (eq[0], eq[-1])]
            rows.append({"case": case, "degree": d, "finite_degree": [eq[0], eq[-1]], **got})
            show = {g: f"{fmt(v[0])} / {fmt(v[1])}" for g, v in got.items()}
            print(f"| {case} | {d} | {eq[0]:.3f}, {eq[-1]:.3f} | {show['small world']} | {show['random']} |",
                  flush=True)
    return rows


def table_rounds() -> list[dict]:
    header("7. Fixed points of the model's one-round map (wallet_share_map), against F_d",
           ["(beta, gamma, a)", "d", "consumers, streams", "model", "F_d", "mean field"])
    rows = []
    # as in the tests: the DOMAIN case at 64 contacts, and cases off a = 0 at the baseline's 10
    for case, d, n, streams, grid in (((1.0, 4.0, 0.0), 64, 50_000, (0,), 41),
                                      ((1.0, 3.0, 0.3), 10, 20_000, (0, 1, 2), 21),
                                      ((1.0, 3.0, 0.2), 10, 20_000, (0, 1, 2), 21),
                                      ((1.0, 4.0, 0.5), 10, 20_000, (0, 1, 2), 21)):
        m = T.brock_durlauf_model(*case, consumers=n, degree=d)
        eq = T.model_equilibria(m, grid=grid, seeds=streams, xtol=1e-4 if grid == 41 else 1e-3)
        fd, mf = T.brock_durlauf_binomial_equilibria(*case, d), T.brock_durlauf_equilibria(*case)
        rows.append({"case": case, "degree": d, "model": eq, "finite_degree": fd, "mean_field": mf})
        print(f"| {case} | {d} | {n}, {len(streams)} | {fmt(eq)} | {fmt(fd)} | {fmt(mf)} |", flush=True)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--consumers", type=int, default=20_000)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--iters", type=int, default=6, help="bisection steps per boundary")
    ap.add_argument("--horizon", type=int, default=300, help="ticks for the invasion table")
    ap.add_argument("--only", type=int, nargs="*", help="tables to print (1-7; default all)")
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    seeds = tuple(range(1, args.seeds + 1))
    only = set(args.only or range(1, 8))
    print(f"# Brock-Durlauf basins, {datetime.date.today()}: {args.consumers} consumers, seeds {list(seeds)}, "
          f"graphs {GRAPHS} (size.rewire)")
    t0 = time.time()
    out = {"date": str(datetime.date.today()), "consumers": args.consumers, "seeds": list(seeds)}
    tables = {1: lambda: table_map(), 2: lambda: table_named(seeds, args.consumers),
              3: lambda: table_boundaries(seeds, args.consumers, args.iters),
              4: lambda: table_invasion(seeds, args.consumers, args.horizon),
              5: lambda: table_clusters(seeds, args.consumers), 6: lambda: table_stable(seeds, args.consumers),
              7: lambda: table_rounds()}
    for k in sorted(only):
        out[str(k)] = tables[k]()
    out["seconds"] = round(time.time() - t0)
    print(f"\n({out['seconds']} s)")
    if args.out:
        args.out.write_text(json.dumps(out, indent=1, default=str))


if __name__ == "__main__":
    main()
