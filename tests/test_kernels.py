"""The fast array helpers equal their plain definitions, and the fast draws have the right law."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from model.bits import bit_counts, bitmask, group_sums, lanes
from model.draws import standard_normal
from model.merchants import MerchantPopulation, logit_choice
from model.model import WalledGardens

from conftest import SCENARIOS, SMALL


@settings(max_examples=60, deadline=None)
@given(n=st.integers(0, 300), flags=st.integers(1, 12), seed=st.integers(0, 2**32 - 1))
def test_bitmask_sets_bit_j_for_flag_j(n, flags, seed):
    x = np.random.default_rng(seed).random((flags, n)) < 0.5
    expected = sum(x[j].astype(np.int64) << j for j in range(flags))
    assert (bitmask(x) == expected).all()


@settings(max_examples=60, deadline=None)
@given(n=st.integers(0, 300), flags=st.integers(1, 10), seed=st.integers(0, 2**32 - 1))
def test_bit_counts_count_each_flag(n, flags, seed):
    x = np.random.default_rng(seed).random((flags, n)) < 0.3
    assert (bit_counts(bitmask(x), flags) == x.sum(axis=1)).all()


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 500), groups=st.integers(1, 40), cols=st.integers(1, 8), seed=st.integers(0, 2**32 - 1))
def test_group_sums_equal_adding_each_column_into_its_group(n, groups, cols, seed):
    rng = np.random.default_rng(seed)
    group = rng.integers(0, groups, n).astype(np.int32)
    x = rng.random((cols, n), dtype=np.float32)
    expected = np.zeros((groups, cols))
    np.add.at(expected, group, x.T.astype(np.float64))
    assert np.allclose(group_sums(group, groups, x, lanes(n)), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("shape", [(1,), (7,), (6, 2161), (3, 4, 5)])
def test_standard_normal_shape_and_type(shape):
    z = standard_normal(np.random.default_rng(0), shape)
    assert z.shape == shape and z.dtype == np.float32 and np.isfinite(z).all()


def test_standard_normal_is_standard_normal():
    z = standard_normal(np.random.default_rng(7), (4, 100_001)).ravel().astype(np.float64)
    assert stats.kstest(z, "norm").pvalue > 1e-3
    assert abs(z.mean()) < 0.01 and abs(z.std() - 1) < 0.01
    assert abs(stats.skew(z)) < 0.02 and abs(stats.kurtosis(z)) < 0.04
    # the cosine and sine halves of each pair are independent
    half = z.size // 2
    assert abs(np.corrcoef(z[:half - 1], z[half:2 * half - 1])[0, 1]) < 0.01
    assert abs(np.corrcoef(z[:half - 1] ** 2, z[half:2 * half - 1] ** 2)[0, 1]) < 0.01


def test_logit_choice_picks_with_softmax_probabilities():
    rng = np.random.default_rng(3)
    score = np.array([0.0, 0.5, -1.0, 0.2])
    noise, n = 0.4, 200_000
    picks = logit_choice(np.repeat(score[:, None], n, axis=1), noise, rng)
    p = np.exp(score / noise) / np.exp(score / noise).sum()
    assert stats.chisquare(np.bincount(picks, minlength=len(score)), p * n).pvalue > 1e-3


@pytest.fixture(scope="module")
def busy_market() -> WalledGardens:
    """A model mid-run with exclusivity demanded and mini-programs approved."""
    m = WalledGardens(SCENARIOS / "link_interop.toml", seed=4, overrides=SMALL)
    m.run_for(15)
    return m


def test_listing_pattern_terms_equal_the_direct_rules(busy_market):
    mer, mk = busy_market.merchants, busy_market.market
    listed = mer.lists.astype(float)
    assert (mer.pattern == (mer.lists * 2 ** np.arange(mk.n_markets)).sum(axis=1)).all()
    assert (mer.on_demanding == (mer.lists & mk.demands_exclusivity).any(axis=1)).all()
    assert (mer.defiant == MerchantPopulation.defying(mk, listed)).all()
    assert (mer.n_listings == (mer.lists & mk.listable).sum(axis=1)).all()
    pays = (mer.lists[:, :, None] & mk.accepts[None] & mk.active[:, None]).any(axis=1)  # [M, W]
    assert (mer.pattern_terms(mk).pays_with[mer.pattern] == pays).all()
    assert mer.on_demanding.any() and mer.exclusive.any()


def test_merchant_profit_total_equals_the_sum_of_merchant_profits(busy_market):
    mer, buy = busy_market.merchants, busy_market.last_purchases
    assert mer.profit.shape == (mer.m,) and mer.sales.shape == mer.lists.shape
    assert mer.profit_total == pytest.approx(mer.profit.sum(), rel=1e-9)
    assert mer.sales.sum(axis=0) == pytest.approx(buy.gmv, rel=1e-9)
    assert (mer.sales[~mer.lists] == 0).all()


@pytest.mark.parametrize("extra_marketplaces", [0, 4])
def test_kept_bit_masks_and_user_counts_follow_the_flags(extra_marketplaces):
    """Consumers keep their held and used sets twice (flags and bit masks) and users per marketplace;
    with ten marketplaces contact counts take the path for more than eight flags."""
    extra = {f"platforms.jd.marketplaces.jd_{i}": {"quality": 0.2, "commission": 0.05, "ticket": 1.0,
                                                   "accepts": ["wechat_pay"]} for i in range(extra_marketplaces)}
    m = WalledGardens(SCENARIOS / "baseline.toml", seed=3, overrides={**SMALL, **extra})
    m.run_for(12)
    c = m.consumers
    assert m.market.n_markets == 6 + extra_marketplaces
    assert (c.used_bits == bitmask(c.markets_used)).all() and (c.held_bits == bitmask(c.wallets_held)).all()
    assert (c.users == c.markets_used.sum(axis=1)).all()
    df = m.results()
    assert df["reach_mean"].between(0, 1).all() and df["consumer_market_multihoming"].iloc[-1] > 0
