"""Scenario discovery on an exploration's experiments: the workbench's PRIM and feature scoring,
and SALib's Sobol indices when the design is Sobol's.

* PRIM (``ema_workbench.analysis.prim``) peels boxes around the cases of interest (e.g. the
  experiments where interoperability raises reach by less than 1 pp).  Its peeling trajectory is
  the coverage/density trade-off; of each trajectory the densest boxes at least ``density`` dense
  are candidates and the one with the highest coverage is chosen.  Up to ``boxes`` boxes are found,
  each on the cases the earlier boxes left.
* Feature scores (extra trees, ``ema_workbench.analysis.feature_scoring``) rank the inputs for
  every outcome.
* Sobol indices (``SALib.analyze.sobol``, first and total order) per outcome and policy.

Outcomes measured against a reference policy are analysed on the experiments that are not their
own reference (there the effect is zero by construction).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

TREES = 50  # extra trees per feature scoring: stable rankings at a fraction of the default 100's time
MIN_FEATURE_ROWS = 8  # fewer experiments than this give no meaningful extra-trees scores


def _quiet() -> None:
    import logging
    import warnings

    warnings.filterwarnings("ignore", message=".*(ipyparallel|altair).*")
    logging.getLogger("EMA").setLevel(logging.WARNING)


def analysed_rows(table: pd.DataFrame, outcome: str) -> pd.DataFrame:
    """Rows where ``outcome`` is defined: all, less a paired outcome's reference rows and failed runs."""
    ref = f"{outcome}.reference"
    rows = table[~table[ref]] if ref in table else table
    return rows[rows[outcome].notna()]


def inputs(rows: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    """The inputs that vary among ``rows`` (a constant column says nothing)."""
    keep = [c for c in names if c in rows and rows[c].nunique(dropna=False) > 1]
    return rows[keep].reset_index(drop=True)


# --------------------------------------------------------------------------- PRIM
def prim_boxes(x: pd.DataFrame, y: np.ndarray, density: float = 0.8, boxes: int = 2,
               peel_alpha: float = 0.05) -> list[dict]:
    """Boxes found by the workbench's PRIM for the cases ``y`` (booleans): for each, the peeling
    trajectory (coverage, density, mass, restricted dimensions) and the chosen box with its limits
    (numbers: min/max and quasi-p-values; categories: the values kept)."""
    _quiet()
    from ema_workbench.analysis import prim

    y = np.asarray(y, dtype=bool)
    if x.shape[1] == 0 or not y.any() or y.all():
        return []
    x = _prim_types(x)
    p = prim.Prim(x, y, peel_alpha=peel_alpha)
    found = []
    for _ in range(boxes):
        box = p.find_box()
        if box is None:
            break
        traj = box.peeling_trajectory.reset_index(drop=True)
        dense = traj[traj["density"] >= density]
        if dense.empty and found:
            break  # a later box that reaches no density target is not worth reporting
        pick = dense if not dense.empty else traj[traj["density"] == traj["density"].max()]
        i = int(pick.sort_values(["coverage", "density"], ascending=False, kind="stable").index[0])
        box.select(i)
        _, lims = box.inspect(i, style="data")[0]
        found.append({
            "index": i, "meets_density": not dense.empty,
            "coverage": float(traj.loc[i, "coverage"]), "density": float(traj.loc[i, "density"]),
            "mass": float(traj.loc[i, "mass"]), "res_dim": int(traj.loc[i, "res_dim"]),
            "limits": [_limit(x, name, row) for name, row in lims.iterrows()],
            "trajectory": {k: [float(v) for v in traj[k]] for k in ("coverage", "density", "mass", "res_dim")},
        })
    return found


def _prim_types(x: pd.DataFrame) -> pd.DataFrame:
    """PRIM peels float64 and int64 columns as numbers and anything else as categories."""
    x = x.copy()
    for c in x:
        if pd.api.types.is_bool_dtype(x[c]) or x[c].dtype == object:
            x[c] = x[c].astype(str)
        elif pd.api.types.is_integer_dtype(x[c]):
            x[c] = x[c].astype("int64")
        else:
            x[c] = x[c].astype("float64")
    return x


def _limit(x: pd.DataFrame, name: str, row: pd.Series) -> dict:
    lo, hi, qp_lo, qp_hi = row.tolist()
    if isinstance(lo, (set, frozenset)):
        return {"name": name, "kind": "values", "values": sorted(map(str, lo)),
                "all": sorted(map(str, x[name].unique()))}
    return {"name": name, "kind": "range", "min": float(lo), "max": float(hi),
            "low": float(x[name].min()), "high": float(x[name].max()),
            "qp_min": None if _nan(qp_lo) else float(qp_lo), "qp_max": None if _nan(qp_hi) else float(qp_hi)}


def _nan(v) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def box_text(box: dict) -> str:
    """A box's limits in words: ``consumer.switching_cost >= 2.31 and merchant.multihoming_cost <= 0.04``."""
    parts = []
    for lim in box["limits"]:
        if lim["kind"] == "values":
            parts.append(f"{lim['name']} in {{{', '.join(lim['values'])}}}")
            continue
        lo = lim["min"] > lim["low"] + 1e-12
        hi = lim["max"] < lim["high"] - 1e-12
        if lo and hi:
            parts.append(f"{lim['min']:.4g} <= {lim['name']} <= {lim['max']:.4g}")
        elif lo:
            parts.append(f"{lim['name']} >= {lim['min']:.4g}")
        elif hi:
            parts.append(f"{lim['name']} <= {lim['max']:.4g}")
    return " and ".join(parts) or "anywhere (no restriction)"


# --------------------------------------------------------------------------- scores
def feature_scores(x: pd.DataFrame, y: np.ndarray, seed: int) -> dict[str, float]:
    """Extra-trees feature scores of the inputs ``x`` for the outcome ``y`` (sum to 1)."""
    _quiet()
    from ema_workbench.analysis import feature_scoring
    from ema_workbench.analysis.scenario_discovery_util import RuleInductionType

    if x.shape[1] == 0 or len(x) < MIN_FEATURE_ROWS or np.ptp(y) == 0:
        return {}
    fs, _ = feature_scoring.get_ex_feature_scores(
        x, np.asarray(y, dtype=float), mode=RuleInductionType.REGRESSION, max_features=max(1, round(x.shape[1] / 3)),
        nr_trees=TREES, oob_score=False, random_state=int(seed % 2**32))
    return {str(k): float(v) for k, v in fs[1].items()}


def sobol_indices(names: list[str], y: np.ndarray, seed: int) -> dict:
    """First- and total-order Sobol indices (SALib) of ``y``, ordered as Saltelli's samples were."""
    from SALib.analyze import sobol

    problem = {"num_vars": len(names), "names": names, "bounds": [[0.0, 1.0]] * len(names)}
    res = sobol.analyze(problem, np.asarray(y, dtype=float), calc_second_order=False, seed=int(seed % 2**32))
    return {k: {n: float(v) for n, v in zip(names, res[k])} for k in ("S1", "S1_conf", "ST", "ST_conf")}


# --------------------------------------------------------------------------- all of it
def analyse(spec, design, table: pd.DataFrame) -> dict:
    """PRIM for the exploration's question, feature scores per outcome, Sobol indices if Sobol."""
    names = [*spec.uncertainty_keys, *(p.name for p in spec.levers)]
    out: dict = {"prim": None, "feature_scores": {}, "sobol": None}
    for o in spec.outcomes:
        rows = analysed_rows(table, o.name)
        out["feature_scores"][o.name] = feature_scores(inputs(rows, names), rows[o.name].to_numpy(), spec.seed)
    if spec.discovery is not None:
        d = spec.discovery
        rows = analysed_rows(table, d.outcome)
        y = (rows[d.outcome] < d.below) if d.below is not None else (rows[d.outcome] > d.above)
        rule = f"{d.outcome} < {d.below:g}" if d.below is not None else f"{d.outcome} > {d.above:g}"
        x = inputs(rows, names)
        out["prim"] = {"outcome": d.outcome, "rule": rule, "experiments": int(len(rows)), "cases": int(y.sum()),
                       "share": float(y.mean()) if len(rows) else math.nan, "density_target": d.density,
                       "inputs": list(x.columns),
                       "boxes": prim_boxes(x, y.to_numpy(), d.density, d.boxes, d.peel_alpha)}
    if spec.sampler == "sobol":
        keys = [p.name for p in spec.uncertainties]
        out["sobol"] = {}
        for o in spec.outcomes:
            per = {}
            for pol, rows in table.groupby("policy", sort=False):
                rows = rows.sort_values("scenario")
                if f"{o.name}.reference" in rows and rows[f"{o.name}.reference"].all():
                    continue
                if rows[o.name].notna().all():
                    per[str(pol)] = sobol_indices(keys, rows[o.name].to_numpy(), spec.seed)
            out["sobol"][o.name] = per
    return out


def story(found: dict) -> str:
    """The PRIM result in one paragraph (computed, for the command line, report and notebook)."""
    pr = found.get("prim")
    if not pr:
        return "No scenario-discovery question was asked ([discovery] in the exploration file)."
    head = (f"{pr['cases']} of {pr['experiments']} experiments ({pr['share']:.0%}) have {pr['rule']}.")
    if not pr["boxes"]:
        return head + " PRIM found no box (no case of interest, or every experiment is one)."
    parts = []
    for k, b in enumerate(pr["boxes"], 1):
        parts.append(f"Box {k}: {box_text(b)}; inside it {b['density']:.0%} of experiments are cases of interest "
                     f"(density), it holds {b['coverage']:.0%} of all cases (coverage) and {b['mass']:.0%} of the "
                     f"experiments (mass)" + ("" if b["meets_density"] else
                                               f"; no box reaches the {pr['density_target']:.0%} density target") + ".")
    return head + " " + " ".join(parts)
