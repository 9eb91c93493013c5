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

import numpy as np

from .config import MerchantConfig
from .market import Market


def logit_choice(score: np.ndarray, noise: float, rng: np.random.Generator) -> np.ndarray:
    """[R] column picked in each row of ``score`` [R, S] with probability softmax(score / noise):
    the argmax of score + noise x Gumbel, drawn with one uniform per row (inverse CDF)."""
    p = np.exp((score - score.max(axis=1, keepdims=True)) / noise)
    cum = np.cumsum(p, axis=1)
    u = rng.random(len(score)) * cum[:, -1]
    return np.minimum((cum < u[:, None]).sum(axis=1), score.shape[1] - 1)


class MerchantPopulation:
    """All merchants' state as numpy arrays; one instance per model."""

    def __init__(self, m: int, cfg: MerchantConfig, market: Market, unit: float, rng: np.random.Generator):
        self.m, self.cfg, self.unit = m, cfg, unit  # unit: mean spend per merchant per tick
        self.margin = np.clip(rng.normal(cfg.margin_mean, cfg.margin_sd, m), 0.01, 0.9)
        self.weight = rng.lognormal(-0.5 * 0.6**2, 0.6, m)  # product appeal, mean 1
        K = market.n_markets
        self.lists = (rng.random((m, K)) < cfg.initial_listing) & market.listable[None, :]
        self.throttled_until = np.zeros(m, np.int32)
        self._ones = np.ones(m)  # column sums as BLAS products (much faster than sum(axis=0) here)
        self.sales = np.zeros((m, K))
        self.profit = np.zeros(m)
        listable = np.flatnonzero(market.listable)
        # subsets of listable marketplaces as a [S, K] bool matrix
        bits = np.arange(2 ** len(listable))[:, None] >> np.arange(len(listable))[None, :] & 1
        self.subsets = np.zeros((len(bits), K), bool)
        self.subsets[:, listable] = bits.astype(bool)
        self._terms_for = -1  # market version the subset terms were built for
        self.mirror(market)

    def mirror(self, market: Market) -> None:
        """Mini-programs carry the listings of their source marketplace while approved; then the
        terms derived from listings are refreshed (listings change only here and in :meth:`decide`)."""
        for k in np.flatnonzero(~market.listable):
            self.lists[:, k] = self.lists[:, market.market_source[k]] & market.active[k]
        self.listed = self.lists.astype(np.float64)  # for BLAS products (numpy has none for bool)
        self.on_demanding = self.listed @ market.demands_exclusivity > 0  # [M] under a "choose one" rule
        self.defiant = self.defying(market)
        self.exclusive = self.on_demanding & ~self.defiant
        self.counts = self._ones @ self.listed  # [K] merchants listed on each marketplace

    def throttled(self, tick: int, market: Market | None = None) -> np.ndarray:
        """Merchants serving a throttling sentence (only where exclusivity is still demanded, if ``market``)."""
        out = self.throttled_until > tick
        if market is not None:
            out &= self.on_demanding
        return out

    def exclusivity_factor(self, market: Market, sets: np.ndarray) -> np.ndarray:
        """[..., K] traffic factor on each marketplace for listing sets ``sets`` [..., K]."""
        c = self.cfg
        rival = market.rival()
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
        net = self.margin[revise, None] - market.commission[None, :] - fee[None, :]  # [R, K]
        gross = net * self.weight[revise, None] * rate[None, :]  # [R, K] sales profit if listed, no factor
        # fold mirrored mini-program channels into their source column
        fold = gross.copy()
        for k in np.flatnonzero(~market.listable):
            if market.active[k]:
                fold[:, market.market_source[k]] += gross[:, k]
        fold -= market.fixed_fee[None, :] * self.unit
        value, penalty = self.subset_terms(market)
        score = fold @ value  # [R, S]
        score -= penalty
        self.lists[revise] = self.subsets[logit_choice(score, c.choice_noise, rng)]
        self.mirror(market)
        # enforcement: defiers of "choose one of two" are caught and throttled
        caught = self.defiant & ~self.throttled(tick) & (rng.random(self.m) < c.detection_rate)
        self.throttled_until[caught] = tick + c.throttle_ticks

    def subset_terms(self, market: Market) -> tuple[np.ndarray, np.ndarray]:
        """Profit of each listing subset is ``fold @ value - penalty``: value [K, S] is membership x
        exclusivity factor (per unit of spend), penalty [S] the multi-homing cost.  Cached until the
        market's policies change."""
        if self._terms_for != market.version:
            factor = self.exclusivity_factor(market, self.subsets)  # [S, K]
            value = (self.subsets * factor).T / self.unit
            penalty = self.cfg.multihoming_cost * np.maximum(self.subsets.sum(axis=1) - 1, 0)
            self._terms, self._terms_for = (value, penalty), market.version
        return self._terms

    def defying(self, market: Market) -> np.ndarray:
        """Merchants listed on an exclusivity-demanding marketplace and on one of its rivals."""
        rival_listed = self.listed @ market.rival() > 0  # [M, K] also listed on a rival of k
        return (self.listed * rival_listed) @ market.demands_exclusivity > 0

    def sell(self, market: Market, gmv: np.ndarray, market_wallet: np.ndarray, tick: int) -> dict:
        """Split each marketplace's sales over its merchants and settle fees; returns flows."""
        c = self.cfg
        # traffic factor on exclusivity-demanding marketplaces: throttled, exclusive deal, or neither
        f = np.where(self.throttled(tick), 1 - c.throttle_penalty,
                     np.where(self.defiant, 1.0, 1 + c.exclusivity_bonus))
        pull = np.where(market.demands_exclusivity[None, :], (self.weight * f)[:, None], self.weight[:, None])
        traffic = self.listed * pull  # [M, K]
        tot = self._ones @ traffic
        self.sales = traffic * np.divide(gmv, tot, out=np.zeros_like(gmv), where=tot > 0)[None, :]
        fee_k = np.divide(market_wallet @ market.wallet_fee, gmv, out=np.zeros_like(gmv), where=gmv > 0)
        fixed = market.fixed_fee * self.unit  # [K] per listing
        extra = np.maximum(self.listed @ market.listable - 1, 0) * c.multihoming_cost * self.unit
        self.profit = (self.margin * (self.sales @ np.ones(len(gmv))) - self.sales @ (market.commission + fee_k)
                       - self.listed @ fixed - extra)
        sold = self._ones @ self.sales  # [K]
        return {
            "commission": sold * market.commission,  # [K]
            "fixed": self.counts * fixed,  # [K]
            "wallet_fee_k": fee_k,  # [K]
            "sales": sold.sum(),
        }

    def sales_rate(self, gmv: np.ndarray) -> np.ndarray:
        """[K] sales per unit of merchant weight, seeded so empty marketplaces stay contestable."""
        w = self.weight @ self.listed
        seed = 0.01 * gmv.sum() / len(gmv)
        return (gmv + seed) / (w + self.weight.mean())
