"""The model as an EMA Workbench model, and explorations over uncertainties x policy levers.

An exploration (:mod:`model.explore_config`) names config keys as uncertainties and levers and
metrics as outcomes.  Its design is a table of scenarios (uncertainty samples: LHS or SALib's
Sobol scheme through the workbench's samplers, or draws of a calibration posterior) crossed with
a table of policies (LHS over range levers x every combination of lever values).  Every
experiment runs the same ``replications`` seeds (common random numbers), so an outcome measured
``against`` a reference policy is paired: the same scenario and seeds with some levers changed.

Two routes run the same design and give the same numbers:

* :func:`run_workbench`: the workbench's own ``perform_experiments`` and evaluators, on
  :func:`workbench_model` (a ``ReplicatorModel`` whose replications are the seeds);
* :func:`run_batch_route`: the project's batch executor (:mod:`model.batch`), one parquet file per
  run, resumable, local processes or Dask.

:func:`explore` runs a design, then scenario discovery (:mod:`model.discovery`), and writes::

    DIR/explore.json         the design: uncertainties, levers, outcomes, seeds, route
    DIR/experiments.parquet  one row per experiment: scenario, policy, inputs, outcomes
    DIR/discovery.json       PRIM boxes, feature scores, Sobol indices
    DIR/runs/ ...            the runs, as a batch writes them (batch route)
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
import time
import warnings
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd

from . import batch
from . import config as config_mod
from .explore_config import ExploreSpec, Outcome, Param

SCENARIO_KEY, POLICY_KEY, POSTERIOR_KEY = 0x534345, 0x504F4C, 0x504F53  # SeedSequence spawn keys
EXPLORE_JSON, EXPERIMENTS, DISCOVERY = "explore.json", "experiments.parquet", "discovery.json"
ROUTES = ("batch", "workbench")


def _rng(spec: ExploreSpec, key: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(spec.seed, spawn_key=(key,)))


def _plain(v):
    """numpy scalars as Python values (for overrides, JSON and run ids)."""
    return v.item() if isinstance(v, np.generic) else v


def ident(name: str) -> str:
    """A workbench parameter name (a Python identifier) for a config key or lever."""
    out = re.sub(r"\W", "_", name)
    return out if out.isidentifier() else f"_{out}"


# --------------------------------------------------------------------------- design
@dataclass
class Design:
    scenarios: pd.DataFrame  # index 0..S-1; columns: uncertainty keys
    policies: pd.DataFrame  # index: policy name; columns: lever names
    seeds: list[int]  # one per replication, shared by every experiment

    def experiments(self) -> pd.DataFrame:
        """Every (scenario, policy), scenario-major: experiment, scenario, policy, inputs."""
        rows = [{"experiment": i, "scenario": s, "policy": p, **self.scenarios.loc[s].to_dict(),
                 **self.policies.loc[p].to_dict()}
                for i, (s, p) in enumerate(itertools.product(self.scenarios.index, self.policies.index))]
        return pd.DataFrame(rows)


def ema_parameters(params: list[Param]) -> list:
    """Workbench parameters for uncertainties or levers; ``variable_name`` is the config key or lever."""
    from ema_workbench import BooleanParameter, CategoricalParameter, IntegerParameter, RealParameter

    out = []
    for p in params:
        if p.kind == "real":
            out.append(RealParameter(ident(p.name), p.low, p.high, variable_name=p.name))
        elif p.kind == "int":
            out.append(IntegerParameter(ident(p.name), int(p.low), int(p.high), variable_name=p.name))
        elif p.kind == "event":
            out.append(BooleanParameter(ident(p.name), variable_name=p.name))
        else:
            out.append(CategoricalParameter(ident(p.name), list(p.values), variable_name=p.name))
    return out


def _sample(params: list[Param], n: int, sampler: str, rng: np.random.Generator) -> pd.DataFrame:
    """``n`` samples (Sobol: base samples) of ranges/values through the workbench's samplers."""
    _quiet_workbench()
    from ema_workbench.em_framework.salib_samplers import SobolSampler
    from ema_workbench.em_framework.samplers import LHSSampler

    kind = SobolSampler() if sampler == "sobol" else LHSSampler()
    extra = {"calc_second_order": False} if sampler == "sobol" else {}
    samples = kind.generate_samples(ema_parameters(params), n, rng=rng, **extra)
    names = {ident(p.name): p.name for p in params}
    return pd.DataFrame([{names[k]: _plain(v) for k, v in s.items()} for s in samples], columns=list(names.values()))


def sample_scenarios(spec: ExploreSpec) -> pd.DataFrame:
    """The uncertainty samples: ranges by LHS or Sobol, posterior draws (without replacement)."""
    parts = []
    n = spec.n_scenarios
    if spec.uncertainties:
        parts.append(_sample(spec.uncertainties, spec.n_scenarios, spec.sampler, _rng(spec, SCENARIO_KEY)))
        n = len(parts[0])
    if spec.posterior is not None:
        rows = _rng(spec, POSTERIOR_KEY).choice(len(spec.posterior), size=n, replace=False)
        parts.append(spec.posterior.iloc[rows].reset_index(drop=True))
    return pd.concat(parts, axis=1)


def sample_policies(spec: ExploreSpec) -> pd.DataFrame:
    """LHS over range levers x every combination of value/event levers; index: policy names."""
    ranges = [p for p in spec.levers if p.kind in ("real", "int")]
    choices = [p for p in spec.levers if p.kind not in ("real", "int")]
    base = _sample(ranges, spec.n_policies, "lhs", _rng(spec, POLICY_KEY)) if ranges else pd.DataFrame(index=[0])
    combos = list(itertools.product(*(p.choices for p in choices)))
    rows = [{**base.loc[i].to_dict(), **dict(zip([p.name for p in choices], combo))}
            for i in base.index for combo in combos]
    names = [(f"P{i // len(combos)} " if ranges else "") + (_label(r) or "none") for i, r in enumerate(rows)]
    return pd.DataFrame(rows, index=pd.Index(names, name="policy"), columns=[p.name for p in spec.levers])


def _label(values: dict) -> str:
    return batch._point_label(values)


def make_design(spec: ExploreSpec) -> Design:
    seeds = [batch.derive_seed(spec.seed, spec.name, r, common=True) for r in range(spec.replications)]
    return Design(sample_scenarios(spec), sample_policies(spec), seeds)


# --------------------------------------------------------------------------- one run
def overrides_for(spec: ExploreSpec, values: dict) -> dict:
    """Config overrides of one experiment: [set], uncertainty and lever keys, lever events."""
    ov = dict(spec.fixed)
    events = []
    for key in spec.uncertainty_keys:
        ov[key] = _plain(values[key])
    for p in spec.levers:
        v = _plain(values[p.name])
        if p.kind == "event":
            if v:
                events.append(p.event)
        else:
            ov[p.name] = v
    if events:
        ov["events"] = [*spec.content.get("events", []), *events]
    return ov


def run_config(spec: ExploreSpec, overrides: dict) -> config_mod.ScenarioConfig:
    raw = config_mod.with_overrides(spec.content, overrides, spec.path)
    return config_mod.validate(raw, spec.path, config_mod.override_layers(overrides, spec.path))


def outcome_stats(df: pd.DataFrame, outcomes: list[Outcome]) -> dict[str, float]:
    """Each outcome's metric averaged over its last ticks (before any pairing)."""
    df = df.sort_values("tick")
    return {o.name: float(df[o.metric].tail(o.last).mean()) for o in outcomes}


@dataclass(frozen=True)
class Simulation:
    """One replication of one experiment, as the workbench calls it: keyword arguments are the
    config keys and lever names (the parameters' ``variable_name``) and ``seed``."""

    spec: ExploreSpec

    def __call__(self, seed: int, **values) -> dict[str, float]:
        from .runner import simulate

        cfg = run_config(self.spec, overrides_for(self.spec, values))
        df, _ = simulate(cfg, steps=self.spec.steps, seed=int(seed))
        return outcome_stats(df, self.spec.outcomes)


# --------------------------------------------------------------------------- workbench route
def _quiet_workbench() -> None:
    warnings.filterwarnings("ignore", message=".*ipyparallel.*")  # an optional evaluator we do not use
    warnings.filterwarnings("ignore", message=".*altair.*")


def workbench_model(spec: ExploreSpec, design: Design | None = None):
    """The exploration as an ``ema_workbench.ReplicatorModel``: uncertainties and levers are the
    config keys and lever events, replications are the seeds, each outcome the mean over them."""
    _quiet_workbench()
    from ema_workbench import RealParameter, ReplicatorModel, ScalarOutcome

    design = design or make_design(spec)
    model = ReplicatorModel(spec.name, function=Simulation(spec))
    post = [] if spec.posterior is None else [
        RealParameter(ident(c), float(spec.posterior[c].min()), float(spec.posterior[c].max()) + 1e-12,
                      variable_name=c) for c in spec.posterior.columns]
    model.uncertainties = ema_parameters(spec.uncertainties) + post
    model.levers = ema_parameters(spec.levers)
    model.outcomes = [ScalarOutcome(ident(o.name), variable_name=o.name, function=np.mean) for o in spec.outcomes]
    model.replications = [{"seed": s} for s in design.seeds]
    return model


def run_workbench(spec: ExploreSpec, evaluator=None, design: Design | None = None) -> pd.DataFrame:
    """Run the design with ``ema_workbench.perform_experiments`` (default: its sequential
    evaluator; pass e.g. ``MultiprocessingEvaluator(workbench_model(spec), n_processes=2)``)."""
    from ema_workbench import Sample, perform_experiments

    design = design or make_design(spec)
    model = workbench_model(spec, design)
    scen = [Sample(f"s{i}", **{ident(k): _plain(v) for k, v in row.items()}) for i, row in design.scenarios.iterrows()]
    pols = [Sample(str(name), **{ident(k): _plain(v) for k, v in row.items()}) for name, row in design.policies.iterrows()]
    if evaluator is None:
        from ema_workbench import SequentialEvaluator

        evaluator = SequentialEvaluator(model)
    with evaluator:
        ex, out = perform_experiments(model, scen, pols, evaluator=evaluator)
    got = pd.DataFrame({"scenario": ex["scenario"].map(lambda s: int(str(s)[1:])), "policy": ex["policy"].astype(str),
                        **{o.name: np.asarray(out[ident(o.name)], dtype=float) for o in spec.outcomes}})
    table = design.experiments().merge(got, on=["scenario", "policy"], how="left", validate="one_to_one")
    return with_effects(spec, design, table)


# --------------------------------------------------------------------------- batch route
def plan_runs(spec: ExploreSpec, design: Design) -> batch.Plan:
    """Every (experiment, replication) as a batch run; validated before anything runs."""
    from .resources import run_bytes

    exps = design.experiments()
    inputs = [*spec.uncertainty_keys, *(p.name for p in spec.levers)]
    specs, largest, name = [], None, None
    overrides = []
    for row in exps.to_dict("records"):
        ov = overrides_for(spec, row)
        cfg = run_config(spec, ov)
        largest = cfg if largest is None or run_bytes(cfg) > run_bytes(largest) else largest
        name = cfg.name
        overrides.append(ov)
    for rep, seed in enumerate(design.seeds):
        for row, ov in zip(exps.to_dict("records"), overrides):
            specs.append(batch.RunSpec(
                run_id=batch.run_id_for(spec.content, ov, rep, seed, spec.steps), scenario=name,
                source=str(spec.scenario_path), group=f"{name} [{row['policy']}]", replication=rep, seed=seed,
                steps=spec.steps, config=spec.content, overrides=ov,
                params={k: _plain(row[k]) for k in inputs}, point=int(row["experiment"])))
    scen = [{"name": name, "source": str(spec.scenario_path), "description": spec.description,
             "content_sha256": hashlib.sha256(json.dumps(spec.content, sort_keys=True, default=str).encode())
             .hexdigest()}]
    points = [{k: _plain(v) for k, v in r.items() if k in inputs} for r in exps.to_dict("records")]
    return batch.Plan(specs, scen, spec.seed, spec.replications, spec.steps, dict(spec.fixed), points,
                      common_seeds=True, largest=largest)


def run_batch_route(spec: ExploreSpec, out: Path | str, workers: int = 1, scheduler: str | None = None,
                    progress: bool = False, design: Design | None = None,
                    executor=None) -> tuple[pd.DataFrame, batch.BatchResult]:
    """Run the design through :func:`model.batch.run_batch` into ``out`` (resumable)."""
    design = design or make_design(spec)
    p = plan_runs(spec, design)
    res = batch.run_batch(p, out, workers=workers, scheduler=scheduler, progress=progress, executor=executor)
    return table_from_runs(spec, design, p, out), res


def table_from_runs(spec: ExploreSpec, design: Design, p: batch.Plan, out: Path | str) -> pd.DataFrame:
    """The experiments table from finished run files (outcomes NaN where a run failed)."""
    metrics = sorted({o.metric for o in spec.outcomes})
    df = batch.load_results(out, ["run_id", "tick", *metrics], run_ids=[s.run_id for s in p.specs])
    per_run = {rid: outcome_stats(g, spec.outcomes) for rid, g in df.groupby("run_id", sort=False)}
    rows = [{"experiment": s.point, "replication": s.replication, **per_run.get(s.run_id, {})} for s in p.specs]
    stats = pd.DataFrame(rows).reindex(columns=["experiment", "replication", *(o.name for o in spec.outcomes)])
    # the mean over replications, as the workbench route reports it; NaN if any replication is missing
    means = stats.groupby("experiment")[[o.name for o in spec.outcomes]].agg(lambda v: v.mean(skipna=False))
    table = design.experiments().merge(means, left_on="experiment", right_index=True, how="left")
    return with_effects(spec, design, table)


# --------------------------------------------------------------------------- pairing
def reference_policy(design: Design, policy: str, against: dict) -> str:
    """The policy equal to ``policy`` with the ``against`` levers set to their reference values."""
    want = {**design.policies.loc[policy].to_dict(), **against}
    for name, row in design.policies.iterrows():
        if all(row[k] == v for k, v in want.items()):
            return str(name)
    raise KeyError(f"no reference policy for {policy!r} against {against}")  # prevented by explore_config


def with_effects(spec: ExploreSpec, design: Design, table: pd.DataFrame) -> pd.DataFrame:
    """Outcomes ``against`` a reference become effects: the value minus the reference policy's value
    in the same scenario (same seeds); ``reference`` marks the rows that are their own reference."""
    table = table.copy()
    raw = table.set_index(["scenario", "policy"])
    for o in spec.outcomes:
        if not o.against:
            continue
        ref = {p: reference_policy(design, p, o.against) for p in design.policies.index}
        keys = list(zip(table["scenario"], table["policy"].map(ref)))
        table[o.name] = table[o.name].to_numpy() - raw.loc[keys, o.name].to_numpy()
        table[f"{o.name}.reference"] = table["policy"].map(ref) == table["policy"]
    return table


# --------------------------------------------------------------------------- the command
@dataclass
class ExploreResult:
    out: Path
    table: pd.DataFrame
    discovery: dict
    elapsed: float
    runs: int
    failed: list[str]
    skipped: int = 0


def describe(spec: ExploreSpec, design: Design, route: str) -> dict:
    """The design in words and numbers, for explore.json and the report."""
    def param(p: Param) -> dict:
        return {"name": p.name, "kind": p.kind, "low": p.low, "high": p.high, "values": list(p.choices),
                "event": p.event}

    return {
        "format": 1, "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "name": spec.name, "description": spec.description, "file": str(spec.path),
        "scenario": str(spec.scenario_path), "steps": spec.steps, "replications": spec.replications,
        "seed": spec.seed, "seeds": design.seeds, "sampler": spec.sampler, "route": route,
        "set": spec.fixed, "uncertainties": [param(p) for p in spec.uncertainties],
        "posterior": None if spec.posterior is None else {"file": str(spec.posterior_file),
                                                          "columns": list(spec.posterior.columns),
                                                          "draws": len(spec.posterior)},
        "inputs": spec.uncertainty_keys, "levers": [param(p) for p in spec.levers],
        "outcomes": [{"name": o.name, "metric": o.metric, "last": o.last, "against": o.against}
                     for o in spec.outcomes],
        "discovery": spec.discovery.model_dump() if spec.discovery else None,
        "scenarios": len(design.scenarios), "policies": list(map(str, design.policies.index)),
        "experiments": len(design.scenarios) * len(design.policies),
    }


def explore(spec: ExploreSpec, out: Path | str, route: str = "batch", workers: int = 1,
            scheduler: str | None = None, progress: bool = False) -> ExploreResult:
    """Run the exploration ``spec`` into ``out`` by ``route``, then scenario discovery."""
    from . import discovery

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    design = make_design(spec)
    info = describe(spec, design, route)
    failed, skipped = [], 0
    runs = len(design.scenarios) * len(design.policies) * spec.replications
    if route == "batch":
        table, res = run_batch_route(spec, out, workers=workers, scheduler=scheduler, progress=progress,
                                     design=design)
        failed, skipped = res.failed, res.skipped
    elif route == "workbench":
        evaluator = None
        if workers > 1:
            _quiet_workbench()
            from ema_workbench import MultiprocessingEvaluator

            evaluator = MultiprocessingEvaluator(workbench_model(spec, design), n_processes=workers)
        table = run_workbench(spec, evaluator, design)
    else:
        raise config_mod.ConfigError(f"--route {route!r}: allowed: {list(ROUTES)}")
    info["elapsed_runs"] = time.perf_counter() - t0
    _write_json(out / EXPLORE_JSON, info)
    table.to_parquet(out / EXPERIMENTS, index=False)
    found = discovery.analyse(spec, design, table)
    _write_json(out / DISCOVERY, found)
    return ExploreResult(out, table, found, time.perf_counter() - t0, runs, failed, skipped)


def _write_json(path: Path, body: dict) -> None:
    batch._atomic_write(path, lambda fh: fh.write(json.dumps(body, indent=1, default=_plain).encode()))


def read_exploration(out: Path | str) -> tuple[dict, pd.DataFrame, dict]:
    """(explore.json, experiments table, discovery.json) of an exploration directory."""
    out = Path(out)
    return (json.loads((out / EXPLORE_JSON).read_text()), pd.read_parquet(out / EXPERIMENTS),
            json.loads((out / DISCOVERY).read_text()) if (out / DISCOVERY).is_file() else {})
