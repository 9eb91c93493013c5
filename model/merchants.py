"""Merchants as struct-of-arrays state with vectorized listing decisions.

A merchant picks the set of marketplaces to list on.  All 2**L subsets of the
L listable marketplaces are scored at once for all merchants ([M, 2**L]):

    profit(P) = sum_k in P  (margin - commission_k - fee_k) * w_m * r_k * f_k(P)
                - fixed_fee_k - multihoming_cost * (|P| - 1)

with r_k the last tick's sales per unit of merchant weight on k (crowding) and
f_k(P) the exclusivity factor: 1 + bonus if k demands exclusivity and P holds no
rival marketplace (an exclusivity deal), 1 - throttle * P(caught) if P holds a
rival (defying "choose one of two"), 1 otherwise.  Mini-programs that mirror a
marketplace's listings add their sales to that marketplace's column.
"""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

import numpy as np

from .bits import bitmask, bits_of
from .config import MerchantConfig
from .market import Market


@lru_cache(maxsize=8)
def _lower(n: int) -> np.ndarray:
    """[n, n] lower-triangular ones: ``_lower(n) @ x`` is the cumulative sum of x's rows (BLAS)."""
    return np.tril(np.ones((n, n)))


def logit_choice(score: np.ndarray, noise: float, rng: np.random.Generator) -> np.ndarray:
    """[R] row picked in each column of ``score`` [S, R] with probability softmax(score / noise):
    the argmax of score + noise x Gumbel, drawn with one uniform per column (inverse CDF).
    The score is edited in place."""
    score -= score.max(axis=0)
    score *= 1 / noise
    np.exp(score, out=score)
    cum = _lower(len(score)) @ score
    u = rng.random(score.shape[1]) * cum[-1]
    return np.minimum((cum < u).sum(axis=0), len(score) - 1)


class PatternTerms(NamedTuple):
    """[2**K] terms of each listing set (bit k: listed on marketplace k)."""

    on_demanding: np.ndarray  # listed on a marketplace that demands exclusivity
    defiant: np.ndarray  # ... and on one of its rivals
    n_listings: np.ndarray  # marketplaces chosen (mirrored mini-programs not counted)
    pays_with: np.ndarray  # [2**K, W] a holder of wallet w can pay with it on an active listed marketplace


class MerchantPopulation:
    """All merchants' state as numpy arrays; one instance per model."""

    def __init__(self, m: int, cfg: MerchantConfig, market: Market, unit: float, rng: np.random.Generator):
        self.m, self.cfg, self.unit = m, cfg, unit  # unit: mean spend per merchant per tick
        self.margin = np.clip(rng.normal(cfg.margin_mean, cfg.margin_sd, m), 0.01, 0.9)
        self.weight = rng.lognormal(-0.5 * 0.6**2, 0.6, m)  # product appeal, mean 1
        self.mean_weight = self.weight.mean()
        K = market.n_markets
        self.lists = (rng.random((m, K)) < cfg.initial_listing) & market.listable[None, :]
        self.throttled_until = np.zeros(m, np.int32)
        # column sums as BLAS products (much faster than sum(axis=0) here): listings, weight, margin x weight
        self._by = np.stack([np.ones(m), self.weight, self.margin * self.weight])
        self._sale: tuple | None = None  # the last settlement's terms; per-merchant sales and profit derive from them
        self._per_merchant: tuple | None = None
        self.profit_total = 0.0
        listable = np.flatnonzero(market.listable)
        # subsets of listable marketplaces as a [S, K] bool matrix
        self.subsets = np.zeros((1 << len(listable), K), bool)
        self.subsets[:, listable] = bits_of(len(listable))
        self._terms_for = -1  # market version the subset terms were built for
        self._patterns_for = -1  # market version the pattern terms were built for
        self.mirror(market)

    def mirror(self, market: Market) -> None:
        """Mini-programs carry the listings of their source marketplace while approved; then the
        terms derived from listings are refreshed (listings change only here and in :meth:`decide`)."""
        for k, source in market.mirrored:
            self.lists[:, k] = self.lists[:, source] & market.active[k]
        self.listed = self.lists.astype(np.float64)  # for BLAS products (numpy has none for bool)
        self.pattern = bitmask(self.lists.T)  # [M] listing set as a bit mask
        by_pattern = self.pattern_terms(market)
        self.on_demanding = by_pattern.on_demanding.take(self.pattern)  # [M] under a "choose one" rule
        self.defiant = by_pattern.defiant.take(self.pattern)
        self.exclusive = self.on_demanding & ~self.defiant
        self.n_listings = by_pattern.n_listings.take(self.pattern)  # [M] marketplaces chosen (mini-programs mirror)
        self.counts, self.weight_listed, self.margin_listed = self._by @ self.listed  # [K] each

    def pattern_terms(self, market: Market) -> PatternTerms:
        """What follows from a listing set alone, for each of the 2**K sets (a merchant's terms are
        a lookup by its set).  Cached until the market's policies change."""
        if self._patterns_for != market.version:
            K = market.n_markets
            sets = bits_of(K).astype(np.float64)  # [2**K, K]
            self._patterns = PatternTerms(on_demanding=sets @ market.demands_exclusivity > 0,
                                          defiant=self.defying(market, sets),
                                          n_listings=sets @ market.listable,
                                          pays_with=sets @ (market.accepts & market.active[:, None]) > 0)
            self._patterns_for = market.version
        return self._patterns

    def throttled(self, tick: int, market: Market | None = None) -> np.ndarray:
        """Merchants serving a throttling sentence (only where exclusivity is still demanded, if ``market``)."""
        out = self.throttled_until > tick
        if market is not None:
            out &= self.on_demanding
        return out

    def exclusivity_factor(self, market: Market, sets: np.ndarray) -> np.ndarray:
        """[..., K] traffic factor on each marketplace for listing sets ``sets`` [..., K]."""
        c = self.cfg
        rival = market.rival
        has_rival = sets.astype(np.float64) @ rival > 0  # [..., K] set holds a rival of k
        p_caught = c.detection_rate * c.throttle_ticks / (1 + c.detection_rate * c.throttle_ticks)
        demands = market.demands_exclusivity
        return np.where(demands & has_rival, 1 - c.throttle_penalty * p_caught,
                        np.where(demands & sets, 1 + c.exclusivity_bonus, 1.0))

    def decide(self, market: Market, rate: np.ndarray, fee: np.ndarray, tick: int,
               rng: np.random.Generator) -> None:
        """Revising merchants choose the listing set with the highest noisy expected profit."""
        c = self.cfg
        revise = np.flatnonzero(rng.random(self.m) < c.revision)
        # sales profit on k if listed, before the exclusivity factor: (margin - commission_k - fee_k)
        # x weight x rate_k, i.e. margin x weight x rate_k - weight x (commission_k + fee_k) x rate_k
        per_margin_weight, per_weight = rate, (market.commission + fee) * rate  # [K] each
        value, cost = self.subset_terms(market)
        per_unit = value @ np.array([-per_weight, per_margin_weight]).T  # [S, 2]
        score = per_unit @ self._by[1:].take(revise, axis=1)  # [S, R]: by weight and margin x weight
        score -= cost[:, None]
        self.lists[revise] = self.subsets[logit_choice(score, c.choice_noise, rng)]
        self.mirror(market)
        # enforcement: defiers of "choose one of two" are caught and throttled
        caught = self.defiant & ~self.throttled(tick) & (rng.random(self.m) < c.detection_rate)
        self.throttled_until[caught] = tick + c.throttle_ticks

    def subset_terms(self, market: Market) -> tuple[np.ndarray, np.ndarray]:
        """Profit of each listing subset is ``value @ sales_profit - cost``: value [S, K] is membership x
        exclusivity factor (per unit of spend), with approved mini-programs' sales counted on their
        source marketplace; cost [S] the listing fees and multi-homing cost.  Cached until the
        market's policies change."""
        if self._terms_for != market.version:
            factor = self.exclusivity_factor(market, self.subsets)  # [S, K]
            value = self.subsets * factor / self.unit
            for k, source in market.mirrored:  # an approved mirrored channel sells for its source
                if market.active[k]:
                    value[:, k] = value[:, source]
            cost = (self.subsets @ market.fixed_fee
                    + self.cfg.multihoming_cost * np.maximum(self.subsets.sum(axis=1) - 1, 0))
            self._terms, self._terms_for = (value, cost), market.version
        return self._terms

    @staticmethod
    def defying(market: Market, listed: np.ndarray) -> np.ndarray:
        """[...] listing sets ``listed`` [..., K] (0/1) on an exclusivity-demanding marketplace and
        on one of its rivals."""
        rival_listed = listed @ market.rival > 0  # [..., K] also listed on a rival of k
        return (listed * rival_listed) @ market.demands_exclusivity > 0

    def sell(self, market: Market, gmv: np.ndarray, market_wallet: np.ndarray, tick: int) -> dict:
        """Split each marketplace's sales over its merchants by pull (weight x traffic factor) and
        settle fees; returns the flows.  Totals come from [M] x [M, K] products; the per-merchant
        :attr:`sales` and :attr:`profit` are derived from the same terms when asked for."""
        c = self.cfg
        # traffic factor on exclusivity-demanding marketplaces: throttled, exclusive deal, or neither
        f = np.where(self.throttled(tick), 1 - c.throttle_penalty,
                     np.where(self.defiant, 1.0, 1 + c.exclusivity_bonus))
        pulled = self.weight * f
        demands = market.demands_exclusivity.copy()
        under_rule = np.array([pulled, pulled * self.margin]) @ self.listed  # [2, K]
        pull = np.where(demands, under_rule[0], self.weight_listed)  # [K] total pull
        margin_pull = np.where(demands, under_rule[1], self.margin_listed)
        per_pull = np.divide(gmv, pull, out=np.zeros_like(gmv), where=pull > 0)  # sales per unit of pull
        fee_k = np.divide(market_wallet @ market.wallet_fee, gmv, out=np.zeros_like(gmv), where=gmv > 0)
        fixed = market.fixed_fee * self.unit  # [K] per listing
        cost = market.commission + fee_k  # [K] per unit of sales
        sold = per_pull * pull  # [K]
        extra = c.multihoming_cost * self.unit  # per listing beyond the first
        self.profit_total = float(per_pull @ margin_pull - sold @ cost - self.counts @ fixed
                                  - extra * np.maximum(self.n_listings - 1, 0).sum())
        self._sale = (self.listed, self.n_listings, pulled, demands, per_pull, cost, fixed, extra)  # mirror() replaces, never edits, listed
        self._per_merchant = None
        return {
            "commission": sold * market.commission,  # [K]
            "fixed": self.counts * fixed,  # [K]
            "wallet_fee_k": fee_k,  # [K]
            "sales": sold.sum(),
        }

    def _settled(self) -> tuple[np.ndarray, np.ndarray]:
        """[M, K] sales and [M] profit of the last settlement (computed once, on first use)."""
        if self._per_merchant is None:
            if self._sale is None:  # nothing settled yet
                self._per_merchant = (np.zeros_like(self.listed), np.zeros(self.m))
            else:
                listed, n_listings, pulled, demands, per_pull, cost, fixed, extra = self._sale
                pull = np.where(demands[None, :], pulled[:, None], self.weight[:, None])
                sales = listed * pull * per_pull[None, :]
                profit = (self.margin * sales.sum(axis=1) - sales @ cost - listed @ fixed
                          - extra * np.maximum(n_listings - 1, 0))
                self._per_merchant = (sales, profit)
        return self._per_merchant

    @property
    def sales(self) -> np.ndarray:
        """[M, K] each merchant's sales on each marketplace at the last settlement."""
        return self._settled()[0]

    @property
    def profit(self) -> np.ndarray:
        """[M] each merchant's profit at the last settlement (sales margin - commissions and wallet
        fees - listing fees - multi-homing cost)."""
        return self._settled()[1]

    def sales_rate(self, gmv: np.ndarray) -> np.ndarray:
        """[K] sales per unit of merchant weight, seeded so empty marketplaces stay contestable."""
        w = self.weight_listed
        seed = 0.01 * gmv.sum() / len(gmv)
        return (gmv + seed) / (w + self.mean_weight)
