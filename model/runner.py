"""Run one scenario to the end and return its tidy time series."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from tqdm.auto import tqdm

from .config import ScenarioConfig
from .model import SCENARIO_SEED, WalledGardens


def scenario_seed_if_none(seed: int | None):
    """``seed``, or the scenario's own seed when it is None (the command line's default)."""
    return SCENARIO_SEED if seed is None else seed


def simulate(scenario: ScenarioConfig | str | Path, steps: int | None = None, seed: int | None = None,
             overrides: dict | None = None, progress: bool = False) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Build a model, step it ``steps`` ticks (default: the scenario's) and return
    (time series with one row per tick, regulator/event log)."""
    model = WalledGardens(scenario, seed=scenario_seed_if_none(seed), overrides=overrides, agents=False)
    steps = model.cfg.size.steps if steps is None else steps
    for _ in tqdm(range(steps), desc=model.cfg.name, unit="tick", disable=not progress, leave=False):
        model.step()
    df = model.results()  # tick, seed, metrics
    df.insert(0, "seed", df.pop("seed"))
    df.insert(0, "scenario", model.cfg.name)
    log = model.regulator_log()
    log.insert(0, "seed", model.seed)
    log.insert(0, "scenario", model.cfg.name)
    return df, log
