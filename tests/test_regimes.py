"""Two regimes: end values that split into separate clusters are reported as such (model.regimes)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from model import regimes, report


def _group(values, policy=None, name="strategic"):
    ends = pd.DataFrame({"pay_share_value_alipay": values})
    if policy is not None:
        ends["open_payments_alibaba"] = policy
    return report.GroupStats(name, name, len(values), len(values), 0, pd.DataFrame(), pd.DataFrame(), ends)


def test_two_clusters_split_and_name_the_policy_that_differs():
    v = [0.33, 0.36, 0.42, 0.38, 0.35, 0.65, 0.7, 0.73, 0.68, 0.66]  # the strategic runs of issue 16
    opened = [1, 1, 1, 1, 1, 0, 0, 0, 0, 0]
    assert regimes.split(np.array(v)) == 5
    t = regimes.table([_group(v, opened)], ["pay_share_value_alipay"])
    row = t.iloc[0]
    assert (row.runs_low, row.runs_high) == (5, 5)
    assert np.isclose(row.mean_low, np.mean(v[:5])) and np.isclose(row.mean_high, np.mean(v[5:]))
    assert row.policies == "open_payments_alibaba 1 vs 0"


@settings(max_examples=50, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(4, 40))
def test_one_cluster_never_splits(seed, n):
    """Seed noise around one mean (sd 1 pp, as at 20,000 consumers) is one regime."""
    v = np.random.default_rng(seed).normal(0.5, 0.01, n)
    assert regimes.split(v) is None


@settings(max_examples=50, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(2, 10), st.integers(2, 10), st.floats(0.08, 0.4))
def test_separated_clusters_always_split(seed, a, b, gap):
    rng = np.random.default_rng(seed)
    v = np.concatenate([rng.uniform(0.3, 0.31, a), rng.uniform(0.31 + gap, 0.32 + gap, b)])
    assert regimes.split(rng.permutation(v)) == a


def test_too_few_runs_or_a_small_gap_is_one_regime():
    assert regimes.split(np.array([0.3, 0.7, 0.7])) is None  # one run on a side
    assert regimes.split(np.array([0.50, 0.51, 0.53, 0.54])) is None  # a 2 pp gap
    assert regimes.table([_group([0.5, 0.5, 0.5, 0.5])], ["pay_share_value_alipay"]).empty
