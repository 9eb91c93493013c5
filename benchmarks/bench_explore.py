"""Exploration and sweep-report measurements (issue: exploratory modelling).

1. Experiments per second of the same design through ema_workbench's MultiprocessingEvaluator
   (the workbench route) and through the project's batch executor (the batch route), both on
   the same number of processes.
2. A sweep of 300 and of 1,000 points (``walled-gardens batch --lhs ... --samples N``, baseline
   scenario, 120 ticks, one replication), its own report included (``total_s``: the command as a
   user runs it, feature scoring and its imports included).  Then the summary page again: through
   ``walled-gardens report`` in a new process (``report_cli_s``: the feature scores come from
   ``DIR/discovery.json``), the same without that cache (``report_cli_uncached_s``: scores again,
   importing ema_workbench and scikit-learn), built in a warm process (``report_s``), page size and
   size without the embedded plotly.js bundle.
3. The explore route at 1,000 experiments, report included (``walled-gardens explore``).

    .venv/bin/python benchmarks/bench_explore.py --json benchmarks/bench_explore.json
    .venv/bin/python benchmarks/bench_explore.py --points 300 --skip-explore   # quicker
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from model import explore, explore_config  # noqa: E402
from model.sweep_report import build_sweep_page  # noqa: E402

import plotly.graph_objects  # noqa: E402,F401 - imported up front so report times exclude imports
import ema_workbench.analysis  # noqa: E402,F401 - the same: PRIM and feature scoring live here
from plotly.offline import get_plotlyjs  # noqa: E402

EXPLORE_FILE = REPO / "scenarios" / "explore" / "interop_robustness.toml"
LHS = ["consumer.g_direct=0.5:4", "consumer.switching_cost=0.5:4", "merchant.multihoming_cost=0:0.1",
       "consumer.lam_wallet=0:3"]


def cli(*args: str) -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "model.cli", *args], cwd=REPO, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0


def report_row(out: Path, uncached: bool = False) -> dict:
    row = {}
    if uncached:  # a batch sweep: the report without the feature scores' cache, then with it
        cache = out / "discovery.json"
        kept = cache.read_bytes()
        cache.unlink()
        row["report_cli_uncached_s"] = round(cli("report", str(out)), 2)
        cache.write_bytes(kept)
    row["report_cli_s"] = round(cli("report", str(out)), 2)
    t0 = time.perf_counter()
    page = build_sweep_page(out)
    row["report_s"] = round(time.perf_counter() - t0, 2)
    size = page.stat().st_size
    bundle = len(get_plotlyjs().encode("utf-8"))
    return {**row, "page_bytes": size, "data_bytes": size - bundle, "plotlyjs_bytes": bundle}


def routes(scenarios: int, workers: int, root: Path) -> dict:
    from ema_workbench import MultiprocessingEvaluator

    spec = dataclasses.replace(explore_config.load(EXPLORE_FILE), n_scenarios=scenarios)
    design = explore.make_design(spec)
    n = len(design.scenarios) * len(design.policies)
    t0 = time.perf_counter()
    wb = explore.run_workbench(spec, MultiprocessingEvaluator(explore.workbench_model(spec, design),
                                                              n_processes=workers), design)
    t_wb = time.perf_counter() - t0
    t0 = time.perf_counter()
    bt, _ = explore.run_batch_route(spec, root / "routes", workers=workers, design=design)
    t_b = time.perf_counter() - t0
    names = [o.name for o in spec.outcomes]
    same = bool((wb[names] - bt[names]).abs().to_numpy().max() == 0)
    return {"experiments": n, "workers": workers, "consumers": spec.fixed.get("size.consumers"),
            "workbench_s": round(t_wb, 1), "workbench_exp_per_s": round(n / t_wb, 2),
            "batch_s": round(t_b, 1), "batch_exp_per_s": round(n / t_b, 2), "identical_outcomes": same}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--points", type=int, nargs="+", default=[300, 1000])
    ap.add_argument("--route-scenarios", type=int, default=40, help="scenarios (x 2 policies) for the route timing")
    ap.add_argument("--explore-scenarios", type=int, default=500, help="scenarios (x 2 policies) for the explore run")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--skip-explore", action="store_true")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    root = Path(tempfile.mkdtemp(prefix="bench_explore_"))
    result = {"cpus": os.cpu_count(), "python": platform.python_version(), "load_avg_at_start": os.getloadavg()}
    try:
        result["routes"] = routes(args.route_scenarios, args.workers, root)
        print(result["routes"], flush=True)
        result["sweeps"] = []
        for n in args.points:
            out = root / f"sweep{n}"
            lhs = [a for k in LHS for a in ("--lhs", k)]
            total = cli("batch", "scenarios/baseline.toml", *lhs, "--samples", str(n), "--replications", "1",
                        "--workers", str(args.workers), "--out", str(out), "--no-progress")
            row = {"points": n, "ticks": 120, "consumers": 20000, "total_s": round(total, 1),
                   **report_row(out, uncached=True)}
            result["sweeps"].append(row)
            print(row, flush=True)
        if not args.skip_explore:
            text = EXPLORE_FILE.read_text()
            text = re.sub(r"(?m)^scenarios = \d+", f"scenarios = {args.explore_scenarios}", text)
            text = text.replace('scenario = "../baseline.toml"', f'scenario = "{REPO / "scenarios" / "baseline.toml"}"')
            tmp = root / "explore.toml"
            tmp.write_text(text)
            out = root / "explore"
            total = cli("explore", str(tmp), "--out", str(out), "--workers", str(args.workers), "--no-progress")
            info = json.loads((out / "explore.json").read_text())
            result["explore"] = {"experiments": info["experiments"], "consumers": info["set"].get("size.consumers"),
                                 "total_s_with_report": round(total, 1), **report_row(out)}
            print(result["explore"], flush=True)
        result["load_avg_at_end"] = os.getloadavg()
    finally:
        shutil.rmtree(root, ignore_errors=True)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
