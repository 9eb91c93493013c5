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


class MerchantPopulation:
    """All merchants' state as numpy arrays; one instance per model."""

    def __init__(self, m: int, cfg: MerchantConfig, market: Market, unit: float, rng: np.random.Generator):
        self.m, self.cfg, self.unit = m, cfg, unit  # unit: mean spend per merchant per tick
        self.margin = np.clip(rng.normal(cfg.margin_mean, cfg.margin_sd, m), 0.01, 0.9)
        self.weight = rng.lognormal(-0.5 * 0.6**2, 0.6, m)  # product appeal, mean 1
        K = market.n_markets
        self.lists = (rng.random((m, K)) < cfg.initial_listing) & market.listable[None, :]
        self.throttled_until = np.zeros(m, np.int32)
        self.exclusive = np.zeros(m, bool)
        self.sales = np.zeros((m, K))
        self.profit = np.zeros(m)
        listable = np.flatnonzero(market.listable)
        # subsets of listable marketplaces as a [S, K] bool matrix
        bits = np.arange(2 ** len(listable))[:, None] >> np.arange(len(listable))[None, :] & 1
        self.subsets = np.zeros((len(bits), K), bool)
        self.subsets[:, listable] = bits.astype(bool)
        self.mirror(market)

    def mirror(self, market: Market) -> None:
        """Mini-programs carry the listings of their source marketplace while approved."""
        for k in np.flatnonzero(~market.listable):
            self.lists[:, k] = self.lists[:, market.market_source[k]] & market.active[k]

    def throttled(self, tick: int, market: Market | None = None) -> np.ndarray:
        """Merchants serving a throttling sentence (only where exclusivity is still demanded, if ``market``)."""
        out = self.throttled_until > tick
        if market is not None:
            out &= (self.lists & market.demands_exclusivity[None, :]).any(axis=1)
        return out

    def exclusivity_factor(self, market: Market, sets: np.ndarray) -> np.ndarray:
        """[..., K] traffic factor on each marketplace for listing sets ``sets`` [..., K]."""
        c = self.cfg
        rival = market.rival()
        has_rival = (sets.astype(np.int8) @ rival.astype(np.int8)) > 0  # [..., K]
        p_caught = c.detection_rate * c.throttle_ticks / (1 + c.detection_rate * c.throttle_ticks)
        demands = market.demands_exclusivity
        return np.where(demands & has_rival, 1 - c.throttle_penalty * p_caught,
                        np.where(demands & sets, 1 + c.exclusivity_bonus, 1.0))

    def decide(self, market: Market, rate: np.ndarray, fee: np.ndarray, tick: int,
               rng: np.random.Generator) -> None:
        """Revising merchants choose the listing set with the highest noisy expected profit."""
        c = self.cfg
        net = self.margin[:, None] - market.commission[None, :] - fee[None, :]  # [M, K]
        gross = net * self.weight[:, None] * rate[None, :]  # [M, K] sales profit if listed, no factor
        # fold mirrored mini-program channels into their source column
        fold = gross.copy()
        for k in np.flatnonzero(~market.listable):
            if market.active[k]:
                fold[:, market.market_source[k]] += gross[:, k]
        fold -= market.fixed_fee[None, :] * self.unit
        factor = self.exclusivity_factor(market, self.subsets)  # [S, K]
        # profit of each subset: sum over k in subset of fold * factor
        score = fold @ (self.subsets * factor).T  # [M, S]
        n_list = self.subsets.sum(axis=1)
        score -= c.multihoming_cost * self.unit * np.maximum(n_list - 1, 0)[None, :]
        score /= self.unit
        score += c.choice_noise * rng.gumbel(size=score.shape)
        best = self.subsets[score.argmax(axis=1)]
        revise = rng.random(self.m) < c.revision
        self.lists[revise] = best[revise]
        self.mirror(market)
        # enforcement: defiers of "choose one of two" are caught and throttled
        defying = self.defying(market)
        caught = defying & ~self.throttled(tick) & (rng.random(self.m) < c.detection_rate)
        self.throttled_until[caught] = tick + c.throttle_ticks
        self.exclusive = self.lists[:, market.demands_exclusivity].any(axis=1) & ~defying

    def defying(self, market: Market) -> np.ndarray:
        """Merchants listed on an exclusivity-demanding marketplace and on one of its rivals."""
        on_demanding = self.lists & market.demands_exclusivity[None, :]
        rival_listed = (self.lists.astype(np.int8) @ market.rival().astype(np.int8)) > 0
        return (on_demanding & rival_listed).any(axis=1)

    def sell(self, market: Market, gmv: np.ndarray, market_wallet: np.ndarray, tick: int) -> dict:
        """Split each marketplace's sales over its merchants and settle fees; returns flows."""
        c = self.cfg
        demands = market.demands_exclusivity[None, :]
        deal = demands & ~self.defying(market)[:, None]
        throttle = demands & self.throttled(tick)[:, None]
        factor = np.where(throttle, 1 - c.throttle_penalty, np.where(deal, 1 + c.exclusivity_bonus, 1.0))
        traffic = self.lists * self.weight[:, None] * factor  # [M, K]
        tot = traffic.sum(axis=0)
        self.sales = np.divide(traffic, tot, out=np.zeros_like(traffic), where=tot > 0) * gmv[None, :]
        fee_k = np.divide(market_wallet @ market.wallet_fee, gmv, out=np.zeros_like(gmv), where=gmv > 0)
        commission_paid = self.sales * market.commission[None, :]
        fee_paid = self.sales * fee_k[None, :]
        fixed = self.lists * market.fixed_fee[None, :] * self.unit
        extra = np.maximum(self.lists[:, market.listable].sum(axis=1) - 1, 0) * c.multihoming_cost * self.unit
        self.profit = (self.sales * self.margin[:, None] - commission_paid - fee_paid - fixed).sum(axis=1) - extra
        return {
            "commission": commission_paid.sum(axis=0),  # [K]
            "fixed": fixed.sum(axis=0),  # [K]
            "wallet_fee_k": fee_k,  # [K]
            "sales": self.sales.sum(),
        }

    def sales_rate(self, gmv: np.ndarray) -> np.ndarray:
        """[K] sales per unit of merchant weight, seeded so empty marketplaces stay contestable."""
        w = (self.lists * self.weight[:, None]).sum(axis=0)
        seed = 0.01 * gmv.sum() / len(gmv)
        return (gmv + seed) / (w + self.weight.mean())
