"""Merchants: the population's state of record as arrays, stepped by the rules of 7.4-7.6.

State: margin and weight (fixed; the margin on the goods a merchant sells at k is its own
deviation from the mean plus k's mean margin, ``margins``; with ``fixed_benefit``, a fixed
point on the Hotelling line, ``position``), the marketplaces each merchant
lists on, and until when it is throttled.  Everything else about listings (mirrored mini-program listings, who is
under an exclusivity deal or defying one, listing counts and the column sums the rules
need) is derived from the listings and the market by :meth:`MerchantPopulation.derive`,
whole, after every change of either.
"""

from __future__ import annotations

import numpy as np

from . import bits, hotelling
from .config import MerchantConfig
from .market import Market
from .rules import enforcement, listing, settlement


class MerchantPopulation:
    """All merchants' state as numpy arrays; one instance per model."""

    def __init__(self, m: int, cfg: MerchantConfig, market: Market, unit: float, rng: np.random.Generator):
        self.m, self.cfg, self.unit = m, cfg, unit  # unit: mean spend per merchant per tick
        self.margin = np.clip(rng.normal(cfg.margin_mean, cfg.margin_sd, m), 0.01, 0.9)
        self.weight = rng.lognormal(-0.5 * 0.6**2, 0.6, m)  # product appeal, mean 1
        self.mean_weight = self.weight.mean()
        shift = market.margin - cfg.margin_mean  # [K] goods sold at k have k's mean margin
        self.margins = np.clip(self.margin[:, None] + shift[None, :], 0.01, 0.95)  # [M, K]
        self.lists = (rng.random((m, market.n_markets)) < cfg.initial_listing) & market.open_to_merchants[None, :]
        self.throttled_until = np.zeros(m, np.int32)
        self._by = np.stack([np.ones(m), self.weight, self.margin * self.weight])  # for column sums by BLAS
        self.flows: settlement.Settlement | None = None
        # docking (fixed_benefit): points on the Hotelling line, drawn after everything else
        self.position = hotelling.positions(m, rng) if cfg.fixed_benefit is not None else None
        self.derive(market)

    def derive(self, market: Market) -> None:
        """Everything that follows from the listings and the market: mini-programs carry their source's
        listings while approved; deals, defiance, listing counts and column sums."""
        self.lists &= market.active | ~market.listable  # no listings where a marketplace is not offered
        for k, source in market.mirrored:
            self.lists[:, k] = self.lists[:, source] & market.active[k]
        self.listed = self.lists.astype(np.float64)  # for BLAS products (numpy has none for bool)
        self.pattern = bits.pack(self.lists.T)  # [M] each merchant's listing set
        t = self.pattern.dtype.type
        self.on_demanding = (self.pattern & t(market.demanding_set)) != 0  # [M] under a "choose one" rule
        self.defiant = enforcement.defying_sets(self.pattern, market)
        self.exclusive = self.on_demanding & ~self.defiant
        self.n_listings = bits.sizes(self.pattern & t(market.listable_set))  # mirrors not counted
        self.counts, self.weight_listed, self.margin_listed = self._by @ self.listed  # [K] each

    def throttled(self, tick: int, market: Market | None = None) -> np.ndarray:
        """Merchants serving a throttling sentence (only where exclusivity is still demanded, if ``market``)."""
        out = self.throttled_until > tick
        if market is not None:
            out &= self.on_demanding
        return out

    def sales_rate(self, sold: np.ndarray) -> np.ndarray:
        """[K] sales per unit of merchant weight, seeded so empty marketplaces stay contestable."""
        seed = 0.01 * sold.sum() / len(sold)
        return (sold + seed) / (self.weight_listed + self.mean_weight)

    def revise_listings(self, market: Market, rate: np.ndarray, fee: np.ndarray, tick: int,
                        rng: np.random.Generator, buyer_share: np.ndarray | None = None) -> None:
        """7.4 and 7.5: revising merchants choose their listing set by logit on expected profit (with
        ``fixed_benefit``: on fixed gains from ``buyer_share`` [K], k's share of buyers' spending); then
        defiers of "choose one of two" may be caught and throttled."""
        c = self.cfg
        revise = np.flatnonzero(rng.random(self.m) < c.revision)
        u = rng.random(len(revise))
        gain = None if c.fixed_benefit is None else listing.fixed_gain(buyer_share, self.position[revise], market, c)
        self.lists[revise] = listing.choose(self.margins[revise], self.weight[revise], rate, fee, market, c,
                                            self.unit, u, gain=gain)
        self.derive(market)
        caught = enforcement.catch(self.defiant, self.throttled(tick), rng.random(self.m), c)
        self.throttled_until[caught] = tick + c.throttle_ticks

    def sell(self, market: Market, spend: np.ndarray, market_wallet: np.ndarray, tick: int) -> settlement.Settlement:
        """7.6: split each marketplace's sales over its merchants by pull and settle fees."""
        throttled = self.throttled(tick)
        deal = ~self.defiant & ~throttled
        factor = enforcement.traffic_factor(self.cfg, deal, throttled.astype(float))
        self._factor = factor
        self.flows = settlement.settle(self.listed, self.weight, self.margins, factor, self.n_listings, market, spend,
                                       market_wallet, self.unit, self.cfg.multihoming_cost)
        return self.flows

    def losses(self, market: Market) -> tuple[np.ndarray, np.ndarray]:
        """([M] making a loss, [M] ... while listed where commission and wallet fee, net of the pass-through,
        exceed its margin: settlement.unit_cost)."""
        loss = self.profit < 0
        fee = self.flows.wallet_fee_k if self.flows is not None else market.accepted_fee
        under = ((self.margins < settlement.unit_cost(market, fee)) & self.lists & market.listable).any(axis=1)
        return loss, loss & under

    @property
    def sales(self) -> np.ndarray:
        """[M, K] each merchant's sales on each marketplace at the last settlement."""
        if self.flows is None:
            return np.zeros_like(self.listed)
        return settlement.sales(self.flows.listed, self.weight, self._factor, self.flows.per_pull, self.flows.demands)

    @property
    def profit(self) -> np.ndarray:
        """[M] each merchant's profit at the last settlement."""
        return self.flows.profit if self.flows is not None else np.zeros(self.m)

    @property
    def profit_total(self) -> float:
        return float(self.profit.sum())
