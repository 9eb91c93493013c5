"""The point estimate the undated scenarios run at: one particle of the ABC's last generation.

The posterior (``calibration/posterior.csv``) carries the parameter uncertainty into
``batch --posterior``; the scenarios' own files need one parameter set.  The marginal medians of
a wide 15-parameter posterior are not a particle and fit worse than most.  So the point is chosen
among the ``K`` particles of the last generation with the smallest ABC distance, re-run on seeds
the fit did not use and in the policy scenarios whose swings are largest:

* candidates whose largest 6-month swing in those scenarios is within the evidence bound
  (``swings.LIMIT`` plus 1 pp of seed noise) are ranked by their distance on the unseen seeds;
* if none is, the candidate with the smallest largest swing is taken.

The choice, every candidate's figures and the rule are written to ``calibration/point.json``.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pandas as pd

from . import calibrate as cal
from . import swings

K = 12
SEEDS = (401, 402)
SWING_SEED = 5
SCENARIOS = ("payment_interop", "full_openness", "exclusivity_ban", "dma_ex_ante")


def last_population(history) -> pd.DataFrame:
    """The last generation's particles: fitted parameters, weight and ABC distance."""
    pop = history.get_population(t=history.max_t)
    rows = [{**{k: float(v) for k, v in p.parameter.items()}, "weight": float(p.weight), "distance": float(p.distance)}
            for p in pop.particles]
    return pd.DataFrame(rows)


def _evaluate(params: dict[str, float], consumers: int) -> dict:
    unseen = [cal.distance(cal.predict(cal.simulate(params, s, consumers), params)) for s in SEEDS]
    ov = {k: v for k, v in cal.config_overrides(params).items() if not cal.history_only(k)}
    swing = {name: swings.largest_of(str(cal.ROOT / "scenarios" / f"{name}.toml"), SWING_SEED, consumers, ov)["swing"]
             for name in SCENARIOS}
    return {"unseen_distance": float(np.mean(unseen)), "largest_swing": max(swing.values()), "swings": swing}


def select(population: pd.DataFrame, workers: int = 2, scheduler: str | None = None,
           consumers: int = cal.CONSUMERS) -> tuple[dict, pd.DataFrame]:
    """(chosen parameters, one row per candidate) by the rule of this module."""
    from .batch import open_executor

    cands = population.nsmallest(K, "distance").reset_index(drop=True)
    params = [{k: float(r[k]) for k in cal.PRIORS} for _, r in cands.iterrows()]
    with open_executor(workers, scheduler) as (ex, _):
        evals = [j.result() for j in [ex.submit(_evaluate, p, consumers) for p in params]]
    table = cands.assign(unseen_distance=[e["unseen_distance"] for e in evals],
                         largest_swing=[e["largest_swing"] for e in evals])
    within = table[table["largest_swing"] <= swings.LIMIT + 0.01]
    best = within["unseen_distance"].idxmin() if len(within) else table["largest_swing"].idxmin()
    return params[best], table.assign(chosen=table.index == best)


def write(point: dict, table: pd.DataFrame, out: Path) -> Path:
    path = Path(out) / "point.json"
    body = {"date": time.strftime("%Y-%m-%d"), "rule": __doc__.split("\n\n")[1:3], "candidates": K,
            "unseen_seeds": list(SEEDS), "swing_scenarios": list(SCENARIOS), "swing_seed": SWING_SEED,
            "parameters": point, "table": json.loads(table.to_json(orient="records"))}
    path.write_text(json.dumps(body, indent=1))
    return path


def load_point(out: Path) -> dict[str, float]:
    return json.loads((Path(out) / "point.json").read_text())["parameters"]
