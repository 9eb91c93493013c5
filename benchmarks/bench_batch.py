"""Wall time of the default batch (every scenario x 10 replications, default steps)
with 1 and with 2 local workers; also checks both give identical numbers.

Each batch runs as a fresh ``walled-gardens batch`` process (as ``make all`` does), so
the time includes interpreter and worker start-up; the report is timed separately.

    .venv/bin/python benchmarks/bench_batch.py                 # the default batch
    .venv/bin/python benchmarks/bench_batch.py --replications 2 --steps 24 --workers 1 2 4
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from model import batch  # noqa: E402
from model.report import build_report  # noqa: E402

import plotly.graph_objects  # noqa: E402,F401 - imported up front so report times exclude it


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("scenarios", nargs="*", type=Path, default=sorted((REPO / "scenarios").glob("*.toml")))
    ap.add_argument("--replications", type=int, default=10)
    ap.add_argument("--steps", type=int, default=None, help="default: each scenario's size.steps")
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--json", type=Path, help="also write the numbers here")
    ap.add_argument("--keep", type=Path, help="keep the batch directories under this folder")
    args = ap.parse_args()

    plan = batch.plan(args.scenarios, args.replications, steps=args.steps)
    root = Path(args.keep or tempfile.mkdtemp(prefix="bench_batch_"))
    rows, reference = [], None
    try:
        for w in args.workers:
            out = root / f"workers{w}"
            shutil.rmtree(out, ignore_errors=True)
            cmd = [sys.executable, "-m", "model.cli", "batch", *map(str, args.scenarios),
                   "--replications", str(args.replications), "--workers", str(w), "--out", str(out), "--no-report",
                   *(["--steps", str(args.steps)] if args.steps else []),
                   *([] if sys.stderr.isatty() else ["--no-progress"])]
            load0 = os.getloadavg()[0]
            t0 = time.perf_counter()
            rc = subprocess.run(cmd, cwd=REPO, stdout=subprocess.DEVNULL).returncode
            wall = time.perf_counter() - t0
            # CPU seconds of the runs themselves (recorded by each worker with the run)
            cpu = sum(batch.run_info(f).get("cpu") or 0.0 for f in batch.result_files(out))
            total = len({s.run_id for s in plan.specs})
            failed = len(list((out / batch.FAILED).glob("*.json")))
            t1 = time.perf_counter()
            build_report(out)
            rep = time.perf_counter() - t1
            df = batch.load_results(out, ["run_id", "tick", "hhi_value", "reach_mean", "consumer_surplus"])
            same = None if reference is None else bool(df.equals(reference))
            reference = df if reference is None else reference
            rows.append({"workers": w, "runs": total, "failed": failed, "exit_code": rc, "wall_s": round(wall, 1),
                         "runs_per_min": round(60 * total / wall, 1), "cpu_s": round(cpu, 1),
                         "cpu_per_wall": round(cpu / wall, 2), "load_before": round(load0, 2), "report_s": round(rep, 1),
                         "identical_to_first": same})
            print(f"workers={w}: {total} runs ({failed} failed) in {wall:.1f}s ({60 * total / wall:.1f} runs/min, "
                  f"runs used {cpu:.0f} CPU-s = {cpu / wall:.2f} cores on average; load average before {load0:.2f}); "
                  f"report {rep:.1f}s; identical to workers={args.workers[0]}: {same}", flush=True)
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)
    base = rows[0]["wall_s"]
    print(f"\n{'workers':>7} {'runs':>5} {'wall s':>8} {'runs/min':>9} {'speed-up':>8} {'run CPU s':>9} {'cores':>6}")
    for r in rows:
        print(f"{r['workers']:>7} {r['runs']:>5} {r['wall_s']:>8.1f} {r['runs_per_min']:>9.1f} "
              f"{base / r['wall_s']:>8.2f} {r['cpu_s']:>9.0f} {r['cpu_per_wall']:>6.2f}")
    info = {"cpus": os.cpu_count(), "load_avg_at_end": os.getloadavg(), "python": platform.python_version(),
            "scenarios": len(plan.scenarios), "replications": args.replications, "steps": args.steps, "rows": rows}
    print(f"(cpus={info['cpus']}, load average at end {tuple(round(x, 2) for x in info['load_avg_at_end'])})")
    if args.json:
        args.json.write_text(json.dumps(info, indent=2))


if __name__ == "__main__":
    main()
