"""EXPLORE.toml: an exploration's uncertainties, levers, outcomes and scenario-discovery question.

Every name is a config key or a metric of the scenario, so there is no second parameter list::

    name = "interop_robustness"
    scenario = "../baseline.toml"         # relative to this file
    replications = 1                      # seeds per experiment, shared by all (common random numbers)
    [set]                                 # fixed overrides of every run
    "size.consumers" = 5000
    [design]
    sampler = "lhs"                       # or "sobol" (SALib; scenarios = base samples N)
    scenarios = 200                       # uncertainty samples; policies = LHS samples of range levers
    [uncertainties]
    "consumer.g_direct" = [0.5, 4.0]      # a range; { values = [...] } for a fixed set of values
    [posterior]                           # or draws of a calibration posterior (one column per key)
    file = "../../calibration/posterior.csv"
    [levers]
    payment_interop = { event = "payment_interop", tick = 60 }   # with and without a timeline event
    "regulator.fine_rate" = [0.01, 0.10]
    [outcomes.reach_gain]
    metric = "reach_mean"                 # mean over the last 12 ticks ...
    last = 12
    against = { payment_interop = false } # ... minus the same run without the event (paired seeds)
    [discovery]
    outcome = "reach_gain"
    below = 0.01                          # cases of interest: outcome < 0.01 (or above = ...)

Every problem is one line naming the file, the key and what is allowed (:mod:`model.config_errors`).
"""

from __future__ import annotations

import math
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal, get_args, get_origin

import annotated_types as at
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from . import config as config_mod
from .config import MAX_TICKS, EventAction, ScenarioConfig
from .config_errors import (ConfigError, annotation_at, bounds_text, did_you_mean, format_error, free_name_table,
                            is_model, unknown, unwrap)

MAX_EXPERIMENTS = 100_000
LEVER_EVENTS = [a for a in get_args(EventAction) if a != "set"]  # a 'set' lever is a config key lever
FIXED_KEYS = {"size.seed": "seeds come from the exploration's seed (numpy SeedSequence)",
              "size.steps": "use the top-level key 'steps'", "name": "the scenario's name is fixed"}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class DesignSection(_Strict):
    sampler: Literal["lhs", "sobol"] = "lhs"
    scenarios: Annotated[int, Field(ge=1, le=MAX_EXPERIMENTS)] = 100
    policies: Annotated[int, Field(ge=1, le=MAX_EXPERIMENTS)] = 1  # LHS samples over range levers


class PosteriorSection(_Strict):
    file: str
    columns: list[str] | None = None  # default: every column


class OutcomeSection(_Strict):
    metric: str
    last: Annotated[int, Field(ge=1, le=MAX_TICKS)] = 12  # mean over the last ticks (1: the final tick)
    against: dict[str, Any] = Field(default_factory=dict)  # reference policy: levers changed to these values


class DiscoverySection(_Strict):
    outcome: str
    below: float | None = None
    above: float | None = None
    density: Annotated[float, Field(gt=0, le=1)] = 0.8  # PRIM: the densest boxes at least this dense
    boxes: Annotated[int, Field(ge=1, le=5)] = 2
    peel_alpha: Annotated[float, Field(ge=0.01, le=0.5)] = 0.05


class ExploreFile(_Strict):
    name: Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]
    description: str = ""
    scenario: str
    steps: Annotated[int, Field(ge=1, le=MAX_TICKS)] | None = None
    replications: Annotated[int, Field(ge=1, le=1000)] = 1
    seed: Annotated[int, Field(ge=0, le=2**63 - 1)] = 20250101
    set: dict[str, Any] = Field(default_factory=dict)
    design: DesignSection = Field(default_factory=DesignSection)
    uncertainties: dict[str, Any] = Field(default_factory=dict)
    posterior: PosteriorSection | None = None
    levers: dict[str, Any] = Field(default_factory=dict)
    outcomes: Annotated[dict[str, OutcomeSection], Field(min_length=1)]
    discovery: DiscoverySection | None = None


# --------------------------------------------------------------------------- resolved
@dataclass(frozen=True)
class Param:
    """An uncertainty or lever: a config key (range or values), or a timeline event on or off."""

    name: str  # the table key: a dotted config key, or a lever's own name for an event
    kind: Literal["real", "int", "values", "event"]
    low: float | None = None
    high: float | None = None
    values: tuple = ()
    event: dict | None = None  # kind "event": the timeline entry added when the lever is on

    @property
    def key(self) -> str | None:
        """The config key it sets (None for an event)."""
        return None if self.kind == "event" else self.name

    @property
    def choices(self) -> tuple:
        return (False, True) if self.kind == "event" else self.values


@dataclass(frozen=True)
class Outcome:
    name: str
    metric: str
    last: int
    against: dict = field(default_factory=dict)


@dataclass(frozen=True)
class ExploreSpec:
    """A validated EXPLORE.toml with its scenario resolved."""

    path: Path
    name: str
    description: str
    scenario_path: Path
    content: dict  # the scenario's resolved content (``extends`` merged), before overrides
    steps: int
    replications: int
    seed: int
    fixed: dict  # [set]
    sampler: str
    n_scenarios: int
    n_policies: int
    uncertainties: list[Param]
    levers: list[Param]
    outcomes: list[Outcome]
    posterior: Any = None  # pandas DataFrame of draws (columns: config keys) or None
    posterior_file: Path | None = None
    discovery: DiscoverySection | None = None

    @property
    def parameters(self) -> list[Param]:
        return [*self.uncertainties, *self.levers]

    def lever(self, name: str) -> Param:
        return next(p for p in self.levers if p.name == name)

    @property
    def uncertainty_keys(self) -> list[str]:
        """Columns of a scenario (an uncertainty sample): ranges, then posterior columns."""
        cols = list(self.posterior.columns) if self.posterior is not None else []
        return [p.name for p in self.uncertainties] + cols


# --------------------------------------------------------------------------- loading
def load(path: Path | str) -> ExploreSpec:
    """Read and validate an EXPLORE.toml; any problem raises :class:`ConfigError` (one line)."""
    path = Path(path)
    raw = _read(path)
    try:
        f = ExploreFile.model_validate(raw)
    except ValidationError as err:
        raise ConfigError(format_error(err, path, ExploreFile)) from None
    scen = path.parent / f.scenario
    if not scen.is_file():
        siblings = sorted(p.name for p in scen.parent.glob("*.toml")) if scen.parent.is_dir() else []
        raise ConfigError(f"{path}: key 'scenario': {f.scenario!r}: file not found{did_you_mean(scen.name, siblings)} "
                          f"(looked for {scen})")
    layers = config_mod.read_layers(scen)
    content = config_mod.merge_layers(layers)
    config_mod.validate(content, scen, layers)
    fixed = _check_fixed(path, content, f.set)
    base = config_mod.with_overrides(content, fixed, path)
    steps = f.steps if f.steps is not None else config_mod.validate(base, path).size.steps
    uncertainties = [_param(path, base, "uncertainties", k, v, events=False) for k, v in f.uncertainties.items()]
    levers = [_param(path, base, "levers", k, v, events=True) for k, v in f.levers.items()]
    _check_disjoint(path, fixed, uncertainties, levers)
    posterior = post_file = None
    if f.posterior is not None:
        post_file = path.parent / f.posterior.file
        posterior = _posterior(path, base, f.posterior, post_file, [p.name for p in [*uncertainties, *levers]])
    if not uncertainties and posterior is None:
        raise ConfigError(f"{path}: key 'uncertainties': none given; allowed: a table of config keys with ranges "
                          "(e.g. \"consumer.g_direct\" = [0.5, 4.0]) or a [posterior] file")
    n_scen = _check_design(path, f, uncertainties, posterior)
    metrics = metric_names(config_mod.validate(base, path))
    outcomes = [_outcome(path, metrics, name, o, levers, steps) for name, o in f.outcomes.items()]
    if f.discovery is not None:
        _check_discovery(path, f.discovery, [o.name for o in outcomes])
    return ExploreSpec(path, f.name, f.description, scen, content, steps, f.replications, f.seed, fixed,
                       f.design.sampler, n_scen, f.design.policies, uncertainties, levers, outcomes, posterior,
                       post_file, f.discovery)


def _read(path: Path) -> dict:
    if not path.is_file():
        raise ConfigError(f"{path}: file not found" if not path.exists() else f"{path}: not a regular file")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text; save the file as UTF-8") from None
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{path}: not valid TOML: {' '.join(str(err).split())}") from None


def _where(section: str, key: str) -> str:
    return f"{section}.{key}" if re.fullmatch(r"[A-Za-z0-9_-]+", key) else f'{section}."{key}"'


def _fail(path: Path, loc: str, message: str) -> ConfigError:
    return ConfigError(f"{path}: key '{loc}': {message}")


def check_key(path: Path, content: dict, loc: str, key: str) -> tuple[Any, list]:
    """(annotation, constraints) of the dotted config ``key``: it must name a number, boolean or
    choice of the scenario (every platform or marketplace on the way must exist)."""
    if key in FIXED_KEYS:
        raise _fail(path, loc, f"{key!r} cannot vary: {FIXED_KEYS[key]}")
    parts = key.split(".")
    node: Any = content
    for i, part in enumerate(parts):
        parent, _ = annotation_at(ScenarioConfig, parts[:i])
        ann, constraints = annotation_at(ScenarioConfig, parts[: i + 1])
        if free_name_table(parent):
            names = list(node) if isinstance(node, dict) else []
            if part not in names:
                what = {"platforms": "platform", "marketplaces": "marketplace"}.get(parts[i - 1], "name")
                raise _fail(path, loc, f"{unknown(what, part, names)} (in {'.'.join(parts[:i])})")
        elif ann is None:
            inner = unwrap(parent)
            allowed = sorted(inner.model_fields) if is_model(inner) else []
            where = f" in {'.'.join(parts[:i])}" if i else ""
            raise _fail(path, loc, f"unknown config key {part!r}{where}{did_you_mean(part, allowed)}; allowed: {allowed}")
        node = node.get(part) if isinstance(node, dict) else None
    inner = unwrap(ann)
    if not (inner in (int, float, bool) or get_origin(inner) is Literal):
        raise _fail(path, loc, f"{key!r} is a {'table' if is_model(inner) or get_origin(inner) is dict else 'list'}"
                               "; allowed: a key holding a number, a boolean or a fixed choice")
    return inner, constraints


def _param(path: Path, base: dict, section: str, name: str, spec: Any, events: bool) -> Param:
    loc = _where(section, name)
    forms = "[LOW, HIGH], { low = LOW, high = HIGH } or { values = [...] }"
    if events:
        forms += f", or {{ event = ACTION, tick = TICK }} with ACTION in {LEVER_EVENTS}"
    if isinstance(spec, dict) and "event" in spec:
        if not events:
            raise _fail(path, loc, "a timeline event is a lever, not an uncertainty; allowed: " + forms)
        return _event_lever(path, base, loc, name, spec)
    ann, constraints = check_key(path, base, loc, name)
    if isinstance(spec, list) and len(spec) == 2 and all(_is_number(v) for v in spec):
        spec = {"low": spec[0], "high": spec[1]}
    if isinstance(spec, dict) and set(spec) == {"values"} and isinstance(spec["values"], list) and spec["values"]:
        values = tuple(spec["values"])
        if len(set(map(repr, values))) != len(values):
            raise _fail(path, loc, f"values {list(values)} repeat; allowed: distinct values")
        for v in values:
            _check_value(path, base, loc, name, v)
        return Param(name, "values", values=values)
    if not (isinstance(spec, dict) and set(spec) == {"low", "high"} and all(_is_number(spec[k]) for k in spec)):
        raise _fail(path, loc, f"got {spec!r}; allowed: {forms}")
    lo, hi = spec["low"], spec["high"]
    if not (math.isfinite(lo) and math.isfinite(hi)) or not lo < hi:
        raise _fail(path, loc, f"range [{lo}, {hi}]: allowed: finite LOW < HIGH")
    if ann is bool or get_origin(ann) is Literal:
        raise _fail(path, loc, f"{name!r} is not a number; allowed: {{ values = [...] }}")
    if ann is int and not (isinstance(lo, int) and isinstance(hi, int)):
        raise _fail(path, loc, f"range [{lo}, {hi}]: {name!r} is an integer; allowed: integer bounds")
    bounds = bounds_text(constraints)
    for end, v in (("LOW", lo), ("HIGH", hi)):
        if not _within(v, constraints):
            raise _fail(path, loc, f"{end} {v} is out of range for {name!r}; allowed: {bounds}")
    for v in (lo, hi):
        _check_value(path, base, loc, name, v)
    return Param(name, "int" if ann is int else "real", low=lo, high=hi)


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _within(v: float, constraints: list) -> bool:
    for c in constraints:
        if (isinstance(c, at.Ge) and v < c.ge) or (isinstance(c, at.Gt) and v <= c.gt) \
                or (isinstance(c, at.Le) and v > c.le) or (isinstance(c, at.Lt) and v >= c.lt):
            return False
    return True


def _check_value(path: Path, base: dict, loc: str, key: str, value: Any) -> None:
    """The scenario stays valid with ``key = value`` (types, bounds, cross-references)."""
    raw = config_mod.with_overrides(base, {key: value}, path)
    try:
        ScenarioConfig.model_validate(raw)
    except ValidationError as err:
        line = format_error(err, path, ScenarioConfig)
        raise _fail(path, loc, f"value {value!r}: {line.split(': ', 1)[1]}") from None


def _event_lever(path: Path, base: dict, loc: str, name: str, spec: dict) -> Param:
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise _fail(path, loc, "an event lever's name must be a plain name (letters, digits, '_'), not a config key")
    extra = sorted(set(spec) - {"event", "tick", "target", "note"})
    if extra:
        raise _fail(path, loc, f"unknown field {extra[0]!r}; allowed: ['event', 'note', 'target', 'tick']")
    if spec["event"] not in LEVER_EVENTS:
        raise _fail(path, loc + ".event", f"{spec['event']!r} is not allowed{did_you_mean(spec['event'], LEVER_EVENTS)}; "
                                          f"allowed: {LEVER_EVENTS}")
    tick = spec.get("tick")
    if not isinstance(tick, int) or isinstance(tick, bool) or not 0 <= tick <= MAX_TICKS:
        raise _fail(path, loc + ".tick", f"got {tick!r}; allowed: an integer 0 to {MAX_TICKS}")
    event = {"tick": tick, "action": spec["event"], "note": spec.get("note", f"lever {name}")}
    if spec.get("target") is not None:
        event["target"] = spec["target"]
    raw = {**base, "events": [*base.get("events", []), event]}
    try:
        ScenarioConfig.model_validate(raw)
    except ValidationError as err:
        line = format_error(err, path, ScenarioConfig)
        raise _fail(path, loc, line.split(": ", 1)[1].replace(f"events.{len(raw['events']) - 1}.", "")) from None
    return Param(name, "event", event=event)


def _check_fixed(path: Path, content: dict, fixed: dict) -> dict:
    for key in fixed:
        check_key(path, content, _where("set", key), key)
    raw = config_mod.with_overrides(content, fixed, path)
    try:
        ScenarioConfig.model_validate(raw)
    except ValidationError as err:
        line = format_error(err, path, ScenarioConfig)
        raise ConfigError(line.replace(": key '", ": key 'set.", 1)) from None
    return dict(fixed)


def _check_disjoint(path: Path, fixed: dict, uncertainties: list[Param], levers: list[Param]) -> None:
    seen: dict[str, str] = {k: "set" for k in fixed}
    for section, params in (("uncertainties", uncertainties), ("levers", levers)):
        for p in params:
            if p.name in seen:
                raise _fail(path, _where(section, p.name), f"also given in [{seen[p.name]}]; allowed: one section per key")
            seen[p.name] = section


def _posterior(path: Path, base: dict, post: PosteriorSection, file: Path, taken: list[str]):
    """Draws of a calibration posterior: a CSV with one column per dotted config key (by default
    every column but the history-only ones, :data:`model.calibrate.HISTORY_ONLY`)."""
    from .calibrate import scenario_columns

    draws = read_draws(file, lambda msg: _fail(path, "posterior.file", f"{post.file!r}: {msg}"))
    columns = post.columns if post.columns is not None else scenario_columns(draws)
    for col in columns:
        if col not in draws.columns:
            raise _fail(path, "posterior.columns", f"{unknown('column', col, list(draws.columns))} (in {file})")
        if col in taken:
            raise _fail(path, "posterior.columns", f"{col!r} is also in [uncertainties] or [levers]; "
                                                   "allowed: a key in one place")
    if not columns:
        raise _fail(path, "posterior.file", f"{file}: no columns to vary; allowed: a header of config keys")
    return check_draws(path, base, file, draws, columns)


def read_draws(file: Path, fail):
    """The rows of a posterior CSV (pandas DataFrame); ``fail(message)`` makes the one-line error of a
    missing, unreadable or empty file."""
    import pandas as pd

    if not file.is_file():
        raise fail(f"file not found (looked for {file})" if not file.exists() else f"not a regular file ({file})")
    try:
        draws = pd.read_csv(file)
    except (OSError, ValueError) as err:  # pandas' EmptyDataError and ParserError are ValueErrors
        raise fail(f"{file}: not a readable CSV ({' '.join(str(err).split())[:120]})") from None
    if draws.empty or not len(draws.columns):
        raise fail(f"{file}: no draws; allowed: a header of config keys and one row per draw")
    return draws


def check_draws(path: Path, base: dict, file: Path, draws, columns: list[str]):
    """``draws[columns]`` as floats, once every column is a numeric config key of the scenario ``base``
    with finite values within the key's bounds (errors name ``path``, the column and the file)."""
    import pandas as pd

    from .calibrate import history_only

    for col in columns:
        loc = f"posterior column '{col}' of {file}"
        if history_only(col):
            raise _fail(path, loc, "a parameter of the dated history only (its measurement model or trend); "
                                   "allowed: a scenario's config keys")
        ann, constraints = check_key(path, base, loc, col)
        values = pd.to_numeric(draws[col], errors="coerce")
        if ann not in (int, float) or not values.notna().all() or not values.map(math.isfinite).all():
            raise _fail(path, loc, "allowed: finite numbers in every row")
        lo, hi = float(values.min()), float(values.max())
        if not (_within(lo, constraints) and _within(hi, constraints)):
            raise _fail(path, loc, f"draws from {lo:g} to {hi:g}; allowed: {bounds_text(constraints)}")
    return draws[columns].astype(float).reset_index(drop=True)


def _check_design(path: Path, f: ExploreFile, uncertainties: list[Param], posterior) -> int:
    n = f.design.scenarios
    if posterior is not None:
        if f.design.sampler == "sobol":
            raise _fail(path, "design.sampler", "'sobol' needs independent ranges, and posterior draws are joint; "
                                                "allowed: 'lhs' (the ranges by LHS, paired with posterior draws)")
        if n > len(posterior):
            raise _fail(path, "design.scenarios", f"{n} scenarios from {len(posterior)} posterior draws; "
                                                  f"allowed: 1 to {len(posterior)}")
    if f.design.sampler == "sobol" and any(p.kind == "values" for p in uncertainties):
        raise _fail(path, "design.sampler", "'sobol' needs ranges; allowed: 'lhs' with { values = [...] } uncertainties")
    total = n * (len(uncertainties) + 2) if f.design.sampler == "sobol" else n  # Saltelli: first and total order
    if total * f.replications > MAX_EXPERIMENTS:
        raise _fail(path, "design.scenarios", f"{total} scenarios x {f.replications} replications; allowed: at most "
                                              f"{MAX_EXPERIMENTS} runs per policy")
    return n


def _outcome(path: Path, allowed: list[str], name: str, o: OutcomeSection, levers: list[Param],
             steps: int) -> Outcome:
    loc = f"outcomes.{name}"
    if o.metric not in allowed:
        raise _fail(path, loc + ".metric", f"{unknown('metric', o.metric, allowed)}")
    if o.last > steps + 1:
        raise _fail(path, loc + ".last", f"{o.last} ticks of a {steps}-tick run; allowed: 1 to {steps + 1}")
    choice = {p.name: p for p in levers if p.kind in ("values", "event")}
    for k, v in o.against.items():
        if k not in choice:
            raise _fail(path, f"{loc}.against", f"{unknown('lever', k, list(choice))} (a lever with values or an event)")
        if v not in choice[k].choices:
            raise _fail(path, f"{loc}.against.{k}", f"{v!r} is not one of its values; allowed: {list(choice[k].choices)}")
    return Outcome(name, o.metric, o.last, dict(o.against))


def _check_discovery(path: Path, d: DiscoverySection, outcomes: list[str]) -> None:
    if d.outcome not in outcomes:
        raise _fail(path, "discovery.outcome", unknown("outcome", d.outcome, outcomes))
    if (d.below is None) == (d.above is None):
        raise _fail(path, "discovery", "give one of 'below' or 'above' (cases of interest: outcome < below, or > above)")


def metric_names(cfg: ScenarioConfig) -> list[str]:
    """The metrics a run of ``cfg`` records, read from a tiny model of it at tick 0."""
    from .model import WalledGardens

    tiny = {"size.consumers": 60, "size.merchants": 10, "size.social_degree": min(cfg.size.social_degree, 10)}
    return list(WalledGardens(cfg, seed=0, overrides=tiny, agents=False).current)
