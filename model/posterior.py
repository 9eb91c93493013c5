"""Posterior draws in a batch (``walled-gardens batch --posterior N``).

N rows of a calibration posterior (a CSV, one column per dotted config key, written by
``python -m model.calibrate``) are crossed with the replications: N x R runs per scenario and
sweep point.  The rows are chosen from the batch's master seed alone (numpy SeedSequence, without
replacement), so every scenario runs on the same draws and effects stay paired.  The columns of
the dated history only (:data:`model.calibrate.HISTORY_ONLY`) are never applied.

A draw's values are the weakest overrides: ``--set`` overrides and a sweep point win over them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .config import ConfigError

DEFAULT_FILE = Path("calibration") / "posterior.csv"
_DRAW_KEY = 0x504F5354  # spawn key of the row choice's own random stream ("POST")


@dataclass(frozen=True)
class Posterior:
    """The draws a batch runs on: ``values[d]`` are the overrides of draw ``d`` (file row ``rows[d]``)."""

    file: str
    sha256: str
    columns: list[str]  # applied (config keys)
    skipped: list[str]  # history-only columns, not applied
    rows: list[int]  # chosen row indices (0 = the first data row)
    values: list[dict] = field(repr=False)
    table: object = field(repr=False, compare=False)  # every row of the applied columns, for validation

    @property
    def n(self) -> int:
        return len(self.rows)

    def manifest(self) -> dict:
        return {"file": self.file, "sha256": self.sha256, "draws": self.n, "columns": self.columns,
                "skipped_columns": self.skipped, "rows": self.rows,
                "choice": f"SeedSequence(master_seed, spawn_key=({_DRAW_KEY},)): the first N of a permutation "
                          "of the rows (without replacement)"}


def choose_rows(n_rows: int, n: int, master_seed: int) -> list[int]:
    """``n`` distinct row indices from the master seed alone: the first ``n`` of one seeded permutation,
    so a larger ``n`` keeps the draws of a smaller one (and their finished runs)."""
    rng = np.random.default_rng(np.random.SeedSequence(int(master_seed), spawn_key=(_DRAW_KEY,)))
    return [int(r) for r in rng.permutation(n_rows)[:n]]


def load(file: Path | str, n: int, master_seed: int) -> Posterior:
    """Read the posterior CSV and choose ``n`` draws; every problem is one line (:class:`ConfigError`).
    The columns are checked against each scenario later, by :func:`check` (from :func:`model.batch.plan`)."""
    from .calibrate import scenario_columns
    from .explore_config import read_draws

    file = Path(file)
    where = f"--posterior-file {file}"
    if n < 1:
        raise ConfigError(f"--posterior {n}: allowed: 1 or more draws (at most the rows of {file})")
    if not file.exists():
        raise ConfigError(f"{where}: file not found (looked for {file.resolve()}); write one with "
                          "`python -m model.calibrate`, or give --posterior-file PATH")
    draws = read_draws(file, lambda msg: ConfigError(f"{where}: {msg}"))
    columns = scenario_columns(draws)
    if not columns:
        raise ConfigError(f"{where}: only history columns {list(draws.columns)}; allowed: a header with config keys")
    if n > len(draws):
        raise ConfigError(f"--posterior {n}: {file} has {len(draws)} draws and they are taken without "
                          f"replacement; allowed: 1 to {len(draws)}")
    rows = choose_rows(len(draws), n, master_seed)
    with open(file, "rb") as fh:
        digest = hashlib.file_digest(fh, "sha256").hexdigest()
    table = draws[columns]
    values = [{c: _number(table.at[r, c]) for c in columns} for r in rows]
    return Posterior(str(file), digest, columns, [c for c in draws.columns if c not in columns], rows, values, table)


def _number(v):
    """A CSV cell as a plain Python number (a float unless it is integral in an integer column)."""
    return int(v) if isinstance(v, (int, np.integer)) else float(v) if isinstance(v, (float, np.floating)) else v


def check(post: Posterior, path: Path, content: dict) -> None:
    """Every applied column is a numeric config key of this scenario, finite and within its bounds in
    every row (the checks of an exploration's ``[posterior]``, :func:`model.explore_config.check_draws`)."""
    from .explore_config import check_draws

    check_draws(path, content, Path(post.file), post.table, post.columns)


def draw_layers(post: Posterior | None) -> Iterator[tuple[dict, tuple[str, dict] | None]]:
    """(values, config layer) of every draw; one empty draw without a posterior."""
    if post is None:
        yield {}, None
        return
    for d in range(post.n):
        yield post.values[d], layer(post, d)


def layer(post: Posterior, draw: int) -> tuple[str, dict]:
    """Draw ``draw``'s values as a config layer, so a validation error names the file and row."""
    from .config import deep_merge, dotted_to_nested

    nested: dict = {}
    for k, v in post.values[draw].items():
        nested = deep_merge(nested, dotted_to_nested(k, v))
    return f"{post.file} (posterior row {post.rows[draw]})", nested
