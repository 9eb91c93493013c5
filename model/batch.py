"""Batch runs: scenarios x replications (x sweep points), streamed to disk, resumable.

Layout of a batch directory ``DIR``::

    DIR/manifest.json          the planned runs of the latest batch (specs, seeds, master seed)
    DIR/runs/<run_id>.parquet  one finished run, long format: run_id, scenario, group,
                               replication, seed, [draw,] tick, [param.<key> ...], metric columns
    DIR/done/<run_id>.json     its done marker: rows, size and SHA-256 of the run file,
                               written last (every file goes via temp file + rename)
    DIR/logs/<run_id>.parquet  that run's regulator/event log
    DIR/failed/<run_id>.json   a run that raised: error and traceback (removed on success)
    DIR/report.html            see :mod:`model.report`

Rerunning the same command resumes: runs whose file matches its done marker (readable
parquet, the expected rows, the stored checksum) are skipped; damaged ones are named and
rerun.
A run id is a stable hash of (scenario config content, overrides, replication, seed,
steps), so changing any of them makes new runs instead of reusing stale ones.

Seeds: the seed of (scenario name, replication) is
``SeedSequence(master_seed, spawn_key=(crc(name), replication)).generate_state(1)[0]``:
independent of worker count, submission order and of which other scenarios are in the
batch.  Sweep points of one scenario share the seeds of a replication (common random
numbers), so differences between points are not sampling noise.  With posterior draws
(:mod:`model.posterior`) the spawn key also holds the draw index: every (replication, draw)
has its own seed, shared by all scenarios under ``--common-seeds``.

Every run goes through one :class:`concurrent.futures.Executor`: a local process
pool, or a Dask distributed cluster (``scheduler="tcp://host:port"``).  Workers get a
small picklable :class:`RunSpec` (resolved config dict, overrides, seed, steps) and
return DataFrames; only the parent writes files.
"""

from __future__ import annotations

import contextlib
import functools
import fcntl
import hashlib
import itertools
import json
import multiprocessing
import os
import time
import traceback
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import config as config_mod
from . import posterior as posterior_mod
from .config import ConfigError
from .posterior import Posterior

MASTER_SEED = 20250101
MANIFEST = "manifest.json"
RUNS, LOGS, FAILED, DONE = "runs", "logs", "failed", "done"
MAX_REPLICATIONS = 100_000  # also the most Latin hypercube samples
SCHEDULER_TIMEOUT = "15s"  # how long to try reaching a Dask scheduler
_LHS_KEY = 0x4C4853  # spawn key of the Latin hypercube's own random stream ("LHS")


# --------------------------------------------------------------------------- specs
@dataclass(frozen=True)
class RunSpec:
    """Everything a worker needs for one run; small and picklable."""

    run_id: str
    scenario: str  # scenario name
    source: str  # scenario file (for messages only; workers use ``config``)
    group: str  # report group: scenario name, plus the sweep point if any
    replication: int
    seed: int
    steps: int
    config: dict  # resolved scenario content (``extends`` merged), before overrides
    overrides: dict = field(default_factory=dict)  # posterior draw + fixed --set overrides + sweep point
    params: dict = field(default_factory=dict)  # the sweep point alone (empty if no sweep)
    point: int = 0  # sweep point index
    draw: int | None = None  # posterior draw index (None: the batch has no posterior)

    def meta(self) -> dict:
        """The spec without the (bulky) config, for the manifest and failure records."""
        d = asdict(self)
        d.pop("config")
        return d


def derive_seed(master_seed: int, scenario: str, replication: int, common: bool = False,
                draw: int | None = None) -> int:
    """Model seed of (scenario name, replication[, posterior draw]): a function of nothing else.  With
    ``common`` (common random numbers) every scenario gets the replication's seed.  Each posterior
    draw has seeds of its own, so the N x R runs of a scenario are independent samples."""
    key = 0 if common else zlib.crc32(scenario.encode("utf-8"))
    spawn = (key, int(replication)) if draw is None else (key, int(replication), int(draw))
    ss = np.random.SeedSequence(int(master_seed), spawn_key=spawn)
    return int(ss.generate_state(1)[0])


def simulation_modules() -> list[Path]:
    """Every module of the package that a simulation runs: ``runner.py`` and what it imports
    from the package, followed through relative and ``model.`` imports (read from the source)."""
    import ast

    root = Path(__file__).resolve().parent
    todo, seen = [root / "runner.py"], set()
    while todo:
        path = todo.pop()
        if path in seen or not path.is_file():
            continue
        seen.add(path)
        pkg = path.parent
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names: list[str] = []
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = pkg
                    for _ in range(node.level - 1):
                        base = base.parent
                elif node.module and node.module.split(".")[0] == root.name:
                    base = root.parent
                else:
                    continue
                mod = [*(node.module or "").split(".")] if node.module else []
                names = [".".join(mod + [a.name]) if mod else a.name for a in node.names] + [".".join(mod)]
            elif isinstance(node, ast.Import):
                base = root.parent
                names = [a.name for a in node.names if a.name.split(".")[0] == root.name]
            for name in filter(None, names):
                target = base.joinpath(*name.split("."))
                todo += [target.with_suffix(".py"), target / "__init__.py"]
    return sorted(seen)


@functools.cache
def model_fingerprint() -> str:
    """Hash of every module a simulation runs (:func:`simulation_modules`): a code change makes
    new run ids, so resume never mixes numbers from an older model into a batch."""
    root = Path(__file__).resolve().parent
    h = hashlib.sha256()
    for path in simulation_modules():
        h.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return h.hexdigest()[:16]


def run_id_for(content: dict, overrides: dict, replication: int, seed: int, steps: int) -> str:
    """Stable hash of what determines a run's numbers (including the model code)."""
    payload = {"config": content, "overrides": overrides, "replication": int(replication),
               "seed": int(seed), "steps": int(steps), "model": model_fingerprint()}
    blob = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:20]


def read_scenario(path: Path | str) -> dict:
    """A scenario file's resolved content, as :func:`model.config.load` sees it."""
    return config_mod.read_raw(path)


apply_overrides = config_mod.with_overrides


def _validate_point(path: Path, layers: list, content: dict, overrides: dict,
                    draw: tuple[str, dict] | None = None) -> config_mod.ScenarioConfig:
    """The scenario with one sweep point's overrides (over a posterior draw's layer, if any), errors
    naming the file, the override or the posterior row."""
    raw = apply_overrides(content, overrides, path)
    drawn = [draw] if draw else []
    return config_mod.validate(raw, path, layers + drawn + config_mod.override_layers(overrides, path))


# --------------------------------------------------------------------------- sweeps
def parse_grid(items: Sequence[str]) -> dict[str, list]:
    """``["consumer.g_direct=1,2.5", ...]`` -> ``{"consumer.g_direct": [1, 2.5]}``."""
    out: dict[str, list] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        key = key.strip()
        if not sep or not key or not raw.strip():
            raise ConfigError(f"--grid {item!r}: expected KEY=V1,V2,..., e.g. consumer.g_direct=1,2,3")
        if key in out:
            raise ConfigError(f"--grid {item!r}: key {key!r} given twice")
        out[key] = [_parse_value(v) for v in raw.split(",")]
    return out


def parse_lhs(items: Sequence[str]) -> dict[str, tuple[float, float, bool]]:
    """``["consumer.g_direct=0.5:3"]`` -> ``{"consumer.g_direct": (0.5, 3.0, is_int)}``."""
    out: dict[str, tuple[float, float, bool]] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        key = key.strip()
        lo_s, colon, hi_s = raw.partition(":")
        try:
            if not sep or not key or not colon:
                raise ValueError
            lo, hi = float(lo_s), float(hi_s)
        except ValueError:
            raise ConfigError(f"--lhs {item!r}: expected KEY=LOW:HIGH with numbers, e.g. consumer.g_direct=0.5:3")
        if not (np.isfinite(lo) and np.isfinite(hi)):
            raise ConfigError(f"--lhs {item!r}: LOW and HIGH must be finite numbers")
        if not lo < hi:
            raise ConfigError(f"--lhs {item!r}: LOW must be below HIGH")
        if key in out:
            raise ConfigError(f"--lhs {item!r}: key {key!r} given twice")
        is_int = _is_int_literal(lo_s) and _is_int_literal(hi_s)
        out[key] = (lo, hi, is_int)
    return out


def _is_int_literal(s: str) -> bool:
    try:
        int(s.strip())
        return True
    except ValueError:
        return False


def _parse_value(raw: str) -> Any:
    raw = raw.strip()
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        return raw


def sweep_points(grid: dict[str, list] | None = None, lhs: dict[str, tuple] | None = None,
                 samples: int = 10, master_seed: int = MASTER_SEED) -> list[dict]:
    """Points of a sweep: the grid's cartesian product times ``samples`` Latin hypercube
    draws (seeded from the master seed).  No grid and no LHS -> one empty point."""
    both = sorted(set(grid or {}) & set(lhs or {}))
    if both:
        raise ConfigError(f"--grid and --lhs both sweep {both[0]!r}; allowed: one sweep per key")
    if not 1 <= samples <= MAX_REPLICATIONS:
        raise ConfigError(f"--samples {samples}: allowed: 1 to {MAX_REPLICATIONS}")
    grid_pts: list[dict] = [{}]
    if grid:
        keys = list(grid)
        grid_pts = [dict(zip(keys, combo)) for combo in itertools.product(*(grid[k] for k in keys))]
    lhs_pts: list[dict] = [{}]
    if lhs:
        from scipy.stats import qmc

        keys = list(lhs)
        rng = np.random.default_rng(np.random.SeedSequence(int(master_seed), spawn_key=(_LHS_KEY,)))
        unit = qmc.LatinHypercube(d=len(keys), rng=rng).random(samples)
        lhs_pts = []
        for row in unit:
            pt = {}
            for k, u in zip(keys, row):
                lo, hi, is_int = lhs[k]
                pt[k] = int(np.floor(lo + u * (hi - lo + 1))) if is_int else float(lo + u * (hi - lo))
            lhs_pts.append(pt)
    return [{**g, **p} for g in grid_pts for p in lhs_pts]


def _point_label(params: dict) -> str:
    if not params:
        return ""
    short = [k.rsplit(".", 1)[-1] for k in params]
    names = short if len(set(short)) == len(short) else list(params)
    parts = []
    for name, v in zip(names, params.values()):
        parts.append(f"{name}={v:.4g}" if isinstance(v, float) else f"{name}={v}")
    return ", ".join(parts)


# --------------------------------------------------------------------------- planning
@dataclass
class Plan:
    """The runs of one batch command, validated before anything runs."""

    specs: list[RunSpec]
    scenarios: list[dict]  # name, source, content hash
    master_seed: int
    replications: int
    steps: int | None
    overrides: dict
    points: list[dict]
    common_seeds: bool = False
    posterior: Posterior | None = None  # posterior draws crossed with the replications (model.posterior)
    largest: config_mod.ScenarioConfig | None = None  # the run needing the most memory (model.resources)
    warnings: list[str] = field(default_factory=list)  # e.g. timeline events after the last tick


def plan(paths: Sequence[Path | str], replications: int, steps: int | None = None,
         master_seed: int = MASTER_SEED, overrides: dict | None = None,
         points: Sequence[dict] | None = None, common_seeds: bool = False,
         posterior: Posterior | None = None) -> Plan:
    """Validate every (scenario, posterior draw, sweep point) and list the runs.

    Raises :class:`ConfigError` (one line, naming the file and key) before any run
    starts if a scenario, override, sweep key or posterior column is invalid.  ``common_seeds``:
    every scenario uses the same seed for a replication (common random numbers), so scenarios
    that differ only after a policy event share their history up to it.  ``posterior``: each
    replication runs on every draw (:mod:`model.posterior`); a draw's values are overridden by
    ``overrides``, and those by a sweep point.
    """
    if not 1 <= replications <= MAX_REPLICATIONS:
        raise ConfigError(f"--replications {replications}: allowed: 1 to {MAX_REPLICATIONS}")
    if steps is not None and not 1 <= steps <= config_mod.MAX_TICKS:
        raise ConfigError(f"--steps {steps}: allowed: 1 to {config_mod.MAX_TICKS} (size.steps)")
    if not 0 <= master_seed < 2**63:
        raise ConfigError(f"--seed {master_seed}: allowed: 0 <= seed < 2**63")
    if not paths:
        raise ConfigError("no scenario files given")
    overrides = dict(overrides or {})
    points = list(points) if points else [{}]
    from .resources import run_bytes

    seen: dict[str, str] = {}
    loaded = []
    largest = None
    for p in paths:
        path = Path(p)
        if path.suffix != ".toml":
            raise ConfigError(f"{path}: not a scenario file (expected a .toml file)")
        layers = config_mod.read_layers(path)
        content = config_mod.merge_layers(layers)
        if posterior is not None:
            posterior_mod.check(posterior, path, content)
        every = [_validate_point(path, layers, content, {**d_values, **overrides, **pt}, d_layer)
                 for d_values, d_layer in posterior_mod.draw_layers(posterior) for pt in points]
        largest = max([c for c in (largest, *every) if c is not None], key=run_bytes)
        cfgs = every[:len(points)]  # the first draw's points (a draw cannot change size.steps or the name)
        cfg = cfgs[0]
        if cfg.name in seen and seen[cfg.name] != str(path):
            raise ConfigError(f"{path}: key 'name': scenario name {cfg.name!r} is also used by {seen[cfg.name]}; "
                              "names must be unique in a batch")
        if cfg.name in seen:
            continue  # the same file twice
        seen[cfg.name] = str(path)
        loaded.append((path, content, cfg, [c.size.steps if steps is None else steps for c in cfgs]))
    specs: list[RunSpec] = []
    draws = range(posterior.n) if posterior is not None else [None]
    # replication-major order: an interrupted batch has every scenario partly done
    for rep, draw in itertools.product(range(replications), draws):
        for path, content, cfg, point_steps in loaded:
            seed = derive_seed(master_seed, cfg.name, rep, common_seeds, draw)
            drawn = posterior.values[draw] if draw is not None else {}
            for i, (pt, n_steps) in enumerate(zip(points, point_steps)):
                ov = {**drawn, **overrides, **pt}  # precedence: posterior draw < --set < sweep point
                label = _point_label(pt)
                specs.append(RunSpec(
                    run_id=run_id_for(content, ov, rep, seed, n_steps), scenario=cfg.name, source=str(path),
                    group=f"{cfg.name} [{label}]" if label else cfg.name, replication=rep, seed=seed,
                    steps=n_steps, config=content, overrides=ov, params=dict(pt), point=i, draw=draw))
    scen = [{"name": cfg.name, "source": str(path), "description": cfg.description,
             "content_sha256": hashlib.sha256(json.dumps(content, sort_keys=True, default=str).encode()).hexdigest()}
            for path, content, cfg, _ in loaded]
    late = list(dict.fromkeys(w for _, _, cfg, s in loaded if (w := config_mod.late_events(cfg, max(s)))))
    return Plan(specs, scen, int(master_seed), replications, steps, overrides, points, common_seeds, posterior,
                largest, late)


# --------------------------------------------------------------------------- worker
def execute(spec: RunSpec) -> dict:
    """Run one spec (in a worker).  Never raises: a failure is returned as a record."""
    t0, c0 = time.perf_counter(), time.process_time()
    try:
        from .runner import simulate

        cfg = config_mod.validate(apply_overrides(spec.config, spec.overrides, spec.source), spec.source)
        df, log = simulate(cfg, steps=spec.steps, seed=spec.seed)
        df = _decorate(df, spec)
        log = _decorate(log, spec, tick=False)
        return {"run_id": spec.run_id, "ok": True, "data": df, "log": log, "elapsed": time.perf_counter() - t0,
                "cpu": time.process_time() - c0, "host": os.uname().nodename, "pid": os.getpid()}
    except Exception as err:  # noqa: BLE001 - recorded, the batch goes on
        return {"run_id": spec.run_id, "ok": False, "error": f"{type(err).__name__}: {err}",
                "traceback": traceback.format_exc(), "elapsed": time.perf_counter() - t0,
                "host": os.uname().nodename, "pid": os.getpid()}


def _decorate(df: pd.DataFrame, spec: RunSpec, tick: bool = True) -> pd.DataFrame:
    """Long format: run_id, scenario, group, replication, seed, tick, param.*, metrics."""
    df = df.drop(columns=[c for c in ("scenario", "seed") if c in df])
    front = {"run_id": spec.run_id, "scenario": spec.scenario, "group": spec.group,
             "replication": spec.replication, "seed": spec.seed}
    if spec.draw is not None:
        front["draw"] = spec.draw  # posterior draw index (its file row is in the manifest)
    for k, v in spec.params.items():
        # numbers as float so that one column has one type across runs (grid "1,2.5")
        front[f"param.{k}"] = float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v
    lead = pd.DataFrame({k: [v] * len(df) for k, v in front.items()}, index=df.index)
    out = pd.concat([lead, df], axis=1)
    out["replication"] = out["replication"].astype("int64")
    out["seed"] = out["seed"].astype("int64")
    if "draw" in out:
        out["draw"] = out["draw"].astype("int64")
    if tick and "tick" in out:
        out["tick"] = out["tick"].astype("int64")
    return out


# --------------------------------------------------------------------------- executor
@contextlib.contextmanager
def open_executor(workers: int = 1, scheduler: str | None = None) -> Iterator[tuple[Executor, int]]:
    """Yield (executor, slots): a local process pool, or Dask's executor when
    ``scheduler`` (``tcp://host:port``) is given.  ``slots`` is how many runs to keep
    in flight (bounded so finished results never pile up in memory)."""
    if scheduler:
        try:
            from distributed import Client
        except ImportError as err:  # pragma: no cover - dask is a dependency
            raise ConfigError(f"--scheduler {scheduler}: dask.distributed is not installed ({err})") from None
        try:
            client = Client(scheduler, timeout=SCHEDULER_TIMEOUT)
        except (OSError, TimeoutError, ValueError) as err:
            raise ConfigError(f"--scheduler {scheduler!r}: cannot connect ({type(err).__name__}: {err}); "
                              "expected the address of a running Dask scheduler, e.g. tcp://127.0.0.1:8786") from None
        try:
            threads = sum(client.nthreads().values()) or 1
            yield client.get_executor(pure=False), 2 * threads
        finally:
            client.close()
        return
    if workers < 1:
        raise ConfigError(f"--workers {workers}: must be at least 1")
    method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
    ctx = multiprocessing.get_context(method)
    if method == "forkserver":
        ctx.set_forkserver_preload(["model.runner"])  # workers fork with the model already imported
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx)
    try:
        yield pool, 2 * workers
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    else:
        pool.shutdown(wait=True)


# --------------------------------------------------------------------------- writer
def run_path(out: Path, run_id: str) -> Path:
    return Path(out) / RUNS / f"{run_id}.parquet"


def marker_path(out: Path, run_id: str) -> Path:
    return Path(out) / DONE / f"{run_id}.json"


def _sha256(path: Path) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


NOT_FINISHED = "not finished"
NO_MARKER = "run file without a done marker"


def check_run(out: Path | str, run_id: str, rows: int | None = None) -> str | None:
    """None if the finished run ``run_id`` is intact, else what is wrong with it
    (:data:`NOT_FINISHED` if there is no run file).  Intact: the parquet file matches its
    done marker (size and SHA-256) and its footer reads with the marker's rows and with
    ``rows``, if given.  A run file may lack only its marker (:data:`NO_MARKER`) if a
    batch was killed between the two renames, or was written before markers existed."""
    import pyarrow.parquet as pq

    path, marker = run_path(out, run_id), marker_path(out, run_id)
    if not path.is_file():
        return "done marker without its run file" if marker.is_file() else NOT_FINISHED
    try:
        done = json.loads(marker.read_text()) if marker.is_file() else None
        if done is not None and (path.stat().st_size != done["bytes"] or _sha256(path) != done["sha256"]):
            return "run file does not match the checksum in its done marker"
        n = pq.read_metadata(path).num_rows
    except (OSError, ValueError, KeyError, TypeError) as err:  # pyarrow's ArrowInvalid is a ValueError
        return f"unreadable ({type(err).__name__}: {' '.join(str(err).split())[:120]})"
    for expected in (rows, (done or {}).get("rows")):
        if expected is not None and n != expected:
            return f"{n} rows, expected {expected}"
    return NO_MARKER if done is None else None


def is_done(out: Path, run_id: str, rows: int | None = None) -> bool:
    """The run finished and its result is intact (see :func:`check_run`)."""
    return check_run(out, run_id, rows) is None


def _mark_done(out: Path, run_id: str) -> None:
    import pyarrow.parquet as pq

    path = run_path(out, run_id)
    body = {"rows": pq.read_metadata(path).num_rows, "bytes": path.stat().st_size, "sha256": _sha256(path)}
    _atomic_write(marker_path(out, run_id), lambda fh: fh.write(json.dumps(body).encode()))


def _discard(out: Path, run_id: str) -> None:
    for path in (marker_path(out, run_id), run_path(out, run_id), Path(out) / LOGS / f"{run_id}.parquet"):
        path.unlink(missing_ok=True)


def unreadable_runs(out: Path | str, runs: Iterable[dict]) -> list[dict]:
    """Manifest entries of ``runs`` whose result file exists but is damaged, as failure records
    (run_id, group, replication, seed, error) for the report."""
    bad = []
    for r in runs:
        problem = check_run(out, r["run_id"])
        if problem not in (None, NOT_FINISHED, NO_MARKER):
            bad.append({**r, "error": f"result file skipped: {problem}; rerun the batch to redo it"})
    return bad


def _atomic_write(path: Path, write: Callable[[Any], None]) -> None:
    """Write through ``write(file)`` to a temp file, fsync, then rename into place."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_run(out: Path, outcome: dict) -> Path:
    """Store a finished run: its log, then (the done marker) its time series.  The run
    file's parquet metadata ``walled_gardens`` holds where and how long it ran."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    out = Path(out)
    rid = outcome["run_id"]
    _atomic_write(out / LOGS / f"{rid}.parquet", lambda fh: outcome["log"].to_parquet(fh, index=False))
    table = pa.Table.from_pandas(outcome["data"], preserve_index=False)
    info = {k: outcome.get(k) for k in ("elapsed", "cpu", "host", "pid")}
    table = table.replace_schema_metadata({**(table.schema.metadata or {}),
                                           b"walled_gardens": json.dumps(info).encode()})
    target = run_path(out, rid)
    _atomic_write(target, lambda fh: pq.write_table(table, fh))
    _mark_done(out, rid)  # last: the run counts as finished only once its checksum is stored
    (out / FAILED / f"{rid}.json").unlink(missing_ok=True)
    return target


def write_failure(out: Path, spec: RunSpec, outcome: dict) -> Path:
    record = {**spec.meta(), "error": outcome.get("error"), "traceback": outcome.get("traceback"),
              "elapsed": outcome.get("elapsed"), "host": outcome.get("host"),
              "time": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    path = Path(out) / FAILED / f"{spec.run_id}.json"
    _atomic_write(path, lambda fh: fh.write(json.dumps(record, indent=2, default=str).encode()))
    return path


def write_manifest(out: Path, p: Plan, extra: dict | None = None) -> Path:
    """Describe the batch (the report reads it).  A previous, different manifest is kept
    under ``manifests/``; run files are never touched."""
    out = Path(out)
    path = out / MANIFEST
    runs = [s.meta() for s in p.specs]
    if path.is_file():
        try:
            old = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError):
            old = None
        if old is not None and [r["run_id"] for r in old.get("runs", [])] != [r["run_id"] for r in runs]:
            (out / "manifests").mkdir(exist_ok=True)
            stamp = old.get("created", "old").replace(":", "").replace("-", "")
            os.replace(path, out / "manifests" / f"manifest-{stamp}.json")
    body = {
        "format": 1,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "master_seed": p.master_seed,
        "seed_scheme": _seed_scheme(p),
        "replications": p.replications,
        "steps": p.steps,
        "overrides": p.overrides,
        "points": p.points,
        "scenarios": p.scenarios,
        "groups": list(dict.fromkeys(s.group for s in p.specs)),
        **({"posterior": p.posterior.manifest()} if p.posterior is not None else {}),
        **(extra or {}),
        "runs": runs,
    }
    _atomic_write(path, lambda fh: fh.write(json.dumps(body, indent=1, default=str).encode()))
    return path


def _seed_scheme(p: Plan) -> str:
    key = "0" if p.common_seeds else "crc32(scenario name)"
    keys = f"({key}, replication, posterior draw)" if p.posterior is not None else f"({key}, replication)"
    crn = (" (common random numbers: all scenarios share a replication's seed" +
           (" for each draw)" if p.posterior is not None else ")")) if p.common_seeds else ""
    return f"SeedSequence(master_seed, spawn_key={keys}).generate_state(1)[0]{crn}"


def read_manifest(out: Path) -> dict:
    path = Path(out) / MANIFEST
    if not path.is_file():
        raise ConfigError(f"{out}: no {MANIFEST}: not a batch directory (run `walled-gardens batch ... --out {out}`)")
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as err:
        raise ConfigError(f"{path}: not valid JSON: {err}") from None


@contextlib.contextmanager
def _lock(out: Path) -> Iterator[None]:
    """One batch at a time per directory (released automatically if the process dies)."""
    fh = open(Path(out) / ".lock", "a+")
    try:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ConfigError(f"{out}: another batch is writing to this directory") from None
        yield
    finally:
        fh.close()


# --------------------------------------------------------------------------- the loop
@dataclass
class BatchResult:
    out: Path
    total: int
    skipped: int  # already done before this call (resume)
    done: int  # finished by this call
    failed: list[str]  # run ids that raised
    elapsed: float
    damaged: dict[str, str] = field(default_factory=dict)  # finished runs found damaged (and rerun): id -> why


def run_batch(p: Plan | Sequence[RunSpec], out: Path | str, workers: int = 1, scheduler: str | None = None,
              progress: bool = True, executor: Executor | None = None, slots: int | None = None) -> BatchResult:
    """Run every spec not already done in ``out``, writing each as it finishes.

    Pass ``executor`` to use one you manage yourself (any concurrent.futures.Executor);
    otherwise a local process pool of ``workers`` or a Dask client for ``scheduler``.
    """
    from tqdm.auto import tqdm

    if not isinstance(p, Plan):
        specs = list(p)
        p = Plan(specs, [], MASTER_SEED, max((s.replication for s in specs), default=-1) + 1, None, {}, [{}])
    out = Path(out)
    for sub in (RUNS, LOGS, FAILED, DONE):
        (out / sub).mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    with _lock(out):
        for stale in itertools.chain.from_iterable((out / sub).glob(".*.tmp") for sub in (RUNS, LOGS, FAILED, DONE)):
            stale.unlink(missing_ok=True)  # left by a killed batch
        specs = list({s.run_id: s for s in p.specs}.values())
        todo, damaged = _verify(out, specs)
        skipped = len(specs) - len(todo)
        if todo and executor is None and not scheduler and p.largest is not None:
            from .resources import check_fits  # local processes share this machine's memory

            check_fits([p.largest], min(workers, len(todo)), "batch")
        write_manifest(out, p, {"workers": workers, "scheduler": scheduler})
        failed: list[str] = []
        done = 0
        bar = tqdm(total=len(specs), initial=skipped, unit="run", desc="batch", disable=not progress,
                   dynamic_ncols=True, smoothing=0.1)
        for rid, why in damaged.items():
            bar.write(f"run {rid}: finished result damaged ({why}); running it again")
        try:
            if todo:
                ctx = (contextlib.nullcontext((executor, slots or 4)) if executor is not None
                       else open_executor(workers, scheduler))
                with ctx as (ex, n_slots):
                    for spec, outcome in _stream(ex, todo, n_slots):
                        if outcome["ok"]:
                            write_run(out, outcome)
                            done += 1
                        else:
                            write_failure(out, spec, outcome)
                            failed.append(spec.run_id)
                            bar.write(f"run {spec.run_id} ({spec.group}, replication {spec.replication}) failed: "
                                      f"{outcome['error']}")
                        del outcome
                        bar.update(1)
                        if failed:
                            bar.set_postfix(failed=len(failed))
        finally:
            bar.close()
    return BatchResult(out, len(specs), skipped, done, failed, time.perf_counter() - t0, damaged)


def _verify(out: Path, specs: list[RunSpec]) -> tuple[list[RunSpec], dict[str, str]]:
    """(runs still to do, damaged finished runs: id -> why).  Damaged results are removed so
    that they are run again; an intact run file missing only its marker gets one."""
    todo, damaged = [], {}
    for spec in specs:
        problem = check_run(out, spec.run_id, rows=spec.steps + 1)
        if problem == NO_MARKER:
            problem = None if _adopt(out, spec) else f"{NO_MARKER}, and it does not read in full"
        if problem is None:
            continue
        if problem != NOT_FINISHED:
            damaged[spec.run_id] = problem
            _discard(out, spec.run_id)
        todo.append(spec)
    return todo, damaged


def _adopt(out: Path, spec: RunSpec) -> bool:
    """Give a run file without a done marker (a batch killed between the two renames) its marker
    if it reads in full with the expected rows."""
    import pyarrow.parquet as pq

    try:
        pq.read_table(run_path(out, spec.run_id))  # rows were checked from the footer
    except (OSError, ValueError):
        return False
    _mark_done(out, spec.run_id)
    return True


def _stream(ex: Executor, specs: Iterable[RunSpec], slots: int) -> Iterator[tuple[RunSpec, dict]]:
    """Submit with at most ``slots`` runs in flight; yield (spec, outcome) as runs finish."""
    queue = iter(specs)
    pending: dict[Future, RunSpec] = {}

    def fill() -> None:
        while len(pending) < max(1, slots):
            spec = next(queue, None)
            if spec is None:
                return
            pending[ex.submit(execute, spec)] = spec

    fill()
    while pending:
        finished, _ = wait(list(pending), return_when=FIRST_COMPLETED)
        for fut in finished:
            spec = pending.pop(fut)
            try:
                outcome = fut.result()
            except BrokenProcessPool:
                raise RuntimeError("a worker process died (out of memory or killed?); finished runs are saved, "
                                   "rerun the same command to resume") from None
            except Exception as err:  # noqa: BLE001 - e.g. a Dask worker lost, or a pickling error
                outcome = {"run_id": spec.run_id, "ok": False, "error": f"{type(err).__name__}: {err}",
                           "traceback": "".join(traceback.format_exception(err))}
            yield spec, outcome
        fill()


# --------------------------------------------------------------------------- reading back
def run_info(path: Path | str) -> dict:
    """Provenance stored with a finished run: elapsed and CPU seconds, host, pid."""
    import pyarrow.parquet as pq

    meta = pq.read_schema(path).metadata or {}
    return json.loads(meta.get(b"walled_gardens", b"{}"))


def result_files(out: Path | str, run_ids: Iterable[str] | None = None) -> list[Path]:
    """Finished run files in ``out`` (only ``run_ids`` if given), in run-id order; damaged ones
    (see :func:`check_run` and :func:`unreadable_runs`) are left out."""
    out = Path(out)
    ids = sorted(set(run_ids)) if run_ids is not None else sorted(f.stem for f in (out / RUNS).glob("*.parquet"))
    return [run_path(out, r) for r in ids if check_run(out, r) in (None, NO_MARKER)]


def dataset(out: Path | str, run_ids: Iterable[str] | None = None):
    """A lazy :mod:`pyarrow.dataset` over finished runs, with the union of their columns
    (scenarios with other wallets or marketplaces have other metric columns)."""
    import pyarrow as pa
    import pyarrow.dataset as ds
    import pyarrow.parquet as pq

    files = result_files(out, run_ids)
    if not files:
        return None
    schema = pa.unify_schemas([pq.read_schema(f) for f in files])
    return ds.dataset([str(f) for f in files], format="parquet", schema=schema)


def load_results(out: Path | str, columns: Sequence[str] | None = None,
                 run_ids: Iterable[str] | None = None) -> pd.DataFrame:
    """Read finished runs (only ``columns`` if given) sorted by run id and tick."""
    dset = dataset(out, run_ids)
    if dset is None:
        return pd.DataFrame(columns=list(columns or []))
    if columns is not None:
        columns = [c for c in columns if c in dset.schema.names]
    df = dset.to_table(columns=columns).to_pandas()
    keys = [c for c in ("run_id", "tick") if c in df]
    return df.sort_values(keys, kind="stable").reset_index(drop=True) if keys else df
