"""The point estimate the undated scenarios run at: a particle of the ABC, refined.

The posterior (``calibration/posterior.csv``) carries the parameter uncertainty into
``batch --posterior``; the scenarios' own files need one parameter set.  The marginal medians of
a wide posterior are not a particle and fit worse than most, and the particles are only as close
to the data as the ABC's last tolerance.  The point is chosen by one criterion, the *penalised
distance*: the ABC distance with the largest 6-month swing of each of the policy ``SCENARIOS``
as one more at-most observation of the evidence bound (``swings.LIMIT``, sd 1 pp, as the
history's own swing is in the fit), so that the bound holds in the scenarios the point serves.

* The ``K`` particles of the last generation with the smallest ABC distance are re-run on seeds
  the fit did not use (``SEEDS``, and ``SWING_SEED`` in the scenarios), and so is the previous
  point (the stored ``point.json``, if inside the priors): the history does not pin the
  adjustment speeds, so the last generation may hold no particle whose policy swings stay
  within the bound, and a refit should not lose a point the criterion prefers.
* The one with the least penalised distance there is refined: Nelder-Mead (scipy) on the
  penalised distance within the priors, each evaluation on ``REFINE_SEEDS`` (common random
  numbers, so the objective is not noisy), for ``REFINE_EVALUATIONS`` evaluations.
* The refined set is re-run on the unseen seeds too, and the candidate with the least penalised
  distance there is the point.

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
from .calibration_data import OBSERVATIONS

K = 12
SEEDS = (401, 402)
BOUND_SD = next(ob.sd for ob in OBSERVATIONS if ob.source == "evidence_bound")
REFINE_SEEDS = (201, 202)
REFINE_EVALUATIONS = 260
REFINE_STEP = 0.08  # the initial simplex: this share of each prior's width
SWING_SEED = 5
SCENARIOS = ("payment_interop", "full_openness", "exclusivity_ban", "dma_ex_ante")


def last_population(history) -> pd.DataFrame:
    """The last generation's particles: fitted parameters, weight and ABC distance."""
    pop = history.get_population(t=history.max_t)
    rows = [{**{k: float(v) for k, v in p.parameter.items()}, "weight": float(p.weight), "distance": float(p.distance)}
            for p in pop.particles]
    return pd.DataFrame(rows)


def penalised(distance: float, scenario_swings: dict[str, float]) -> float:
    """The ABC distance (RMS over the fitted observations, in measurement errors) with each
    scenario's largest swing one more at-most observation of the evidence bound."""
    n = sum(ob.in_sample for ob in OBSERVATIONS)
    extra = [max(0.0, v - swings.LIMIT) / BOUND_SD for v in scenario_swings.values()]
    return float(np.sqrt((n * distance ** 2 + np.sum(np.square(extra))) / (n + len(extra))))


def scenario_swing(params: dict[str, float], name: str, seed: int, consumers: int) -> float:
    """The largest 6-month swing of policy scenario ``name`` at a parameter set."""
    ov = {k: v for k, v in cal.config_overrides(params).items() if not cal.history_only(k)}
    return swings.largest_of(str(cal.ROOT / "scenarios" / f"{name}.toml"), seed, consumers, ov)["swing"]


def _evaluate(ex, params: dict[str, float], consumers: int, seeds: tuple[int, ...], swing_seed: int) -> dict:
    """Distance (of the seeds' mean prediction), the scenarios' swings and the penalised distance."""
    fits = [ex.submit(cal.predict_at, params, s, consumers) for s in seeds]
    turns = {name: ex.submit(scenario_swing, params, name, swing_seed, consumers) for name in SCENARIOS}
    preds = [j.result() for j in fits]
    mean = {k: float(np.mean([p[k] for p in preds])) for k in preds[0]}
    swing = {name: j.result() for name, j in turns.items()}
    d = cal.distance(mean)
    return {"distance": d, "largest_swing": max(swing.values()), "penalised": penalised(d, swing), "swings": swing}


def refine(start: dict[str, float], objective, evaluations: int = REFINE_EVALUATIONS) -> tuple[dict[str, float], pd.DataFrame]:
    """(the parameters of least ``objective`` found, one row per evaluation) by Nelder-Mead from
    ``start`` over the priors' box (scaled to [0, 1]; a step outside is clipped to the box).
    ``objective(params)`` returns a dict with at least ``penalised``."""
    from scipy.optimize import minimize

    names = list(cal.PRIORS)
    lo, hi = (np.array([cal.PRIORS[n][i] for n in names]) for i in (0, 1))
    trace = []

    def f(u: np.ndarray) -> float:
        params = dict(zip(names, map(float, lo + np.clip(u, 0, 1) * (hi - lo))))
        trace.append({**params, **{k: v for k, v in objective(params).items() if k != "swings"}})
        return trace[-1]["penalised"]

    u0 = (np.array([start[n] for n in names]) - lo) / (hi - lo)
    away = np.where(u0 < 1 - REFINE_STEP, REFINE_STEP, -REFINE_STEP)  # each vertex one step into the box
    minimize(f, u0, method="Nelder-Mead",
             options={"maxfev": evaluations, "initial_simplex": np.vstack([u0, u0 + np.diag(away)]),
                      "xatol": 1e-3, "fatol": 1e-3})
    table = pd.DataFrame(trace)
    best = table.loc[table["penalised"].idxmin(), names]
    return {n: float(best[n]) for n in names}, table


def select(population: pd.DataFrame, workers: int = 2, scheduler: str | None = None,
           consumers: int = cal.CONSUMERS, evaluations: int = REFINE_EVALUATIONS,
           previous: dict[str, float] | None = None) -> tuple[dict, pd.DataFrame]:
    """(chosen parameters, one row per candidate) by the rule of this module; ``previous`` is the
    stored point (a candidate too when it lies inside the priors)."""
    from .batch import open_executor

    cands = population.nsmallest(K, "distance").reset_index(drop=True).assign(source="particle")
    if previous is not None and within_priors(previous):
        cands = pd.concat([cands, pd.DataFrame([{**previous, "weight": np.nan, "distance": np.nan,
                                                 "source": "previous point"}])], ignore_index=True)
    params = [{k: float(r[k]) for k in cal.PRIORS} for _, r in cands.iterrows()]
    with open_executor(workers, scheduler) as (ex, _):
        unseen = [_evaluate(ex, p, consumers, SEEDS, SWING_SEED) for p in params]
        start = int(np.argmin([e["penalised"] for e in unseen]))
        refined, trace = refine(params[start],
                                lambda p: _evaluate(ex, p, consumers, REFINE_SEEDS, REFINE_SEEDS[0]), evaluations)
        params.append(refined)
        unseen.append(_evaluate(ex, refined, consumers, SEEDS, SWING_SEED))
    cands = pd.concat([cands, pd.DataFrame([{**refined, "weight": np.nan, "distance": np.nan,
                                             "refine_distance": trace["penalised"].min(),
                                             "refine_start_distance": trace["penalised"].iloc[0],
                                             "source": f"{_name(cands, start)} refined ({len(trace)} evaluations)"}])],
                      ignore_index=True)
    table = cands.assign(unseen_distance=[e["distance"] for e in unseen],
                         largest_swing=[e["largest_swing"] for e in unseen],
                         unseen_penalised=[e["penalised"] for e in unseen],
                         **{f"swing_{n}": [e["swings"][n] for e in unseen] for n in SCENARIOS})
    best = int(table["unseen_penalised"].idxmin())
    return params[best], table.assign(chosen=table.index == best)


def within_priors(params: dict[str, float]) -> bool:
    """Every fitted parameter present and inside its prior's range."""
    return all(k in params and lo <= params[k] <= hi for k, (lo, hi) in cal.PRIORS.items())


def _name(cands: pd.DataFrame, i: int) -> str:
    return f"particle {i}" if cands.loc[i, "source"] == "particle" else str(cands.loc[i, "source"])


def write(point: dict, table: pd.DataFrame, out: Path) -> Path:
    path = Path(out) / "point.json"
    body = {"date": time.strftime("%Y-%m-%d"), "rule": __doc__.split("\n\n")[1:4], "candidates": K,
            "refine_seeds": list(REFINE_SEEDS), "refine_evaluations": REFINE_EVALUATIONS,
            "unseen_seeds": list(SEEDS), "swing_scenarios": list(SCENARIOS), "swing_seed": SWING_SEED,
            "parameters": point, "table": json.loads(table.to_json(orient="records"))}
    path.write_text(json.dumps(body, indent=1))
    return path


def load_point(out: Path) -> dict[str, float]:
    return json.loads((Path(out) / "point.json").read_text())["parameters"]
