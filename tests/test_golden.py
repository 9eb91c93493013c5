"""Every scenario's small runs match the stored golden baseline (tests/golden/).

A change that moves numbers must regenerate the files on purpose (``python tests/golden/golden.py``)
and its commit must say which numbers moved and why."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from golden import golden

STORED = pd.read_csv(golden.SERIES)
STORED_ACTIONS = pd.read_csv(golden.ACTIONS)


@pytest.mark.parametrize("path", golden.scenarios(), ids=lambda p: p.stem)
def test_scenario_matches_the_golden_baseline(path):
    assert path.stem in set(STORED.scenario), f"{path.stem}: not in the golden baseline; regenerate it"
    for seed in golden.SEEDS:
        series, actions = golden.run(path, seed)
        want = STORED[(STORED.scenario == path.stem) & (STORED.seed == seed)].dropna(axis=1, how="all")
        assert sorted(series.columns) == sorted(want.columns), "metric columns changed"
        got = series[want.columns].reset_index(drop=True)
        want = want.reset_index(drop=True)
        for col in want.columns[2:]:
            assert np.allclose(got[col].to_numpy(float), want[col].to_numpy(float), rtol=1e-10, atol=1e-12), \
                f"{path.stem} seed {seed}: {col} moved"
        want_log = STORED_ACTIONS[(STORED_ACTIONS.scenario == path.stem) & (STORED_ACTIONS.seed == seed)]
        assert actions[["tick", "action", "target"]].values.tolist() == \
            want_log[["tick", "action", "target"]].values.tolist()
        assert np.allclose(actions.amount.to_numpy(float), want_log.amount.to_numpy(float), rtol=1e-10, atol=1e-12)
