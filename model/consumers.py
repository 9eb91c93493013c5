"""Consumers: the population's state of record as arrays, stepped by the rules of 7.1-7.3.

The wallets a consumer holds and the marketplaces it uses are sets, one unsigned integer per
consumer (bit w, bit k; :mod:`model.bits`): counts over contacts and over everybody read
them directly, and a rule unpacks the flags of the consumers it revises.  Other state with
one value per marketplace is stored column-wise, one contiguous array of N per marketplace
([K, N]): the rules work column by column.  ``holds`` and ``uses`` give the flags as [N, W] /
[N, K] arrays (one row per consumer) for agents, notebooks and tests.

Besides the state, the population keeps each consumer's logit weight exp(own part of V)
and the set of marketplaces where it can buy (``weight``, ``usable``): terms of its own state
only, so they are recomputed
for the consumers whose state changed (revisers, and consumers whose wallets changed where
they can pay), and for everybody when the market changes.  :meth:`check_weights` compares it
with a fresh computation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import bits, hotelling
from .config import ConsumerConfig
from .draws import standard_normal
from .market import Market
from .network import SmallWorld
from .rules import checkout, marketplaces, wallets


def cols(x: np.ndarray, rows: np.ndarray | slice) -> np.ndarray:
    """Columns ``rows`` of a [C, N] array (``take`` gathers twice as fast as fancy indexing)."""
    return x[:, rows] if isinstance(rows, slice) else x.take(rows, axis=1)


def set_cols(x: np.ndarray, rows: np.ndarray | slice, values: np.ndarray) -> None:
    """``x[:, rows] = values`` for a [C, N] array, one row at a time (twice as fast as the 2-D scatter)."""
    for row, new in zip(x, values):
        row[rows] = new


def _read_only(view: np.ndarray) -> np.ndarray:
    view.flags.writeable = False
    return view


@dataclass
class Purchases:
    """What consumers bought in one tick (aggregates only)."""

    gmv: np.ndarray  # [K] value by marketplace
    value: np.ndarray  # [W] value by wallet (commerce + peer transfers)
    count: np.ndarray  # [W] transactions by wallet
    commerce_value: np.ndarray  # [W] value paid to merchants by wallet
    market_wallet: np.ndarray  # [K, W] value at marketplace k paid with wallet w
    surplus: float  # mean logit inclusive value (consumer surplus)
    can_buy: np.ndarray  # [N] set of the marketplaces each consumer can buy on


class ConsumerPopulation:
    """All consumers' state as numpy arrays; one instance per model."""

    def __init__(self, n: int, degree: int, cfg: ConsumerConfig, market: Market, rng: np.random.Generator,
                 rewire: float = 0.1):
        self.n, self.cfg = n, cfg
        K, W = market.n_markets, market.n_wallets
        self.network = SmallWorld(n, degree, rng, rewire=rewire)
        if cfg.taste_distribution == "hotelling":  # docking: -t x distance on the Hotelling line
            self.taste = (-cfg.taste_sd * hotelling.distances(hotelling.positions(n, rng), K)).astype(np.float32)
        else:
            self.taste = np.ascontiguousarray((rng.standard_normal((n, K)) * cfg.taste_sd).astype(np.float32).T)
        self.budget = rng.lognormal(-cfg.budget_sigma**2 / 2, cfg.budget_sigma, n).astype(np.float32)
        self.budget *= np.float32(cfg.budget_mean)
        n_social = len(market.social_platforms)
        on_app = rng.random(n) < cfg.social_share if n_social else np.zeros(n, bool)
        home = market.social_platforms[rng.integers(0, max(n_social, 1), n)] if n_social else np.zeros(n, int)
        self.home_app = np.where(on_app, home, -1).astype(np.int8)  # platform index of i's super-app (-1: none)
        self.home_col = self.home_app.astype(np.intp) + 1  # its column in the market's by-home tables
        self.n_wallets, self.n_markets = W, K
        p_wallet = np.array([cfg.initial_wallet.get(w, 0.5) for w in market.wallets])
        self.held = bits.pack((rng.random((n, W)) < p_wallet).T)  # [N] set of wallets held
        p_market = np.array([cfg.initial_market.get(k, 0.3) for k in market.marketplaces])
        used = (rng.random((n, K)) < p_market) & (market.market_host[None, :] < 0) & market.active  # open ones only
        self.used = bits.pack(used.T)  # [N] set of marketplaces used
        self.last_wallet = np.full((K, n), -1, np.int8)  # wallet last used at each marketplace (-1: none yet)
        self.spend = np.zeros((K, n), np.float32)  # last tick's spending by marketplace
        self.has_spent = False  # the first month spends the logit split, without habit (7.3)
        self.social = np.zeros((K, n), np.float32)  # perceived word of mouth through links (7.2)
        self.retention = np.ones(K)  # last tick's monthly retention per marketplace
        self.weight = np.zeros((K, n), np.float32)  # exp(own part of V) where usable
        self.usable = np.zeros(n, self.used.dtype)  # set: on k, k reachable, a held wallet accepted there
        self._lane = bits.lanes(n)
        self._members = {int(p): np.flatnonzero(self.home_app == p) for p in market.social_platforms}
        self.refresh(market)

    # -- per-consumer views ----------------------------------------------------
    @property
    def holds(self) -> np.ndarray:
        """[N, W] read-only flags: consumer i holds wallet w (change them with :meth:`set_holdings`)."""
        return _read_only(bits.unpack(self.held, self.n_wallets).T)

    @property
    def main_wallet(self) -> np.ndarray:
        """[N] the wallet last used at the marketplace i spends most on (-1: no purchase yet)."""
        top = self.spend.argmax(axis=0)
        last = self.last_wallet[top, np.arange(self.n)]
        return np.where(self.spend.max(axis=0) > 0, last, -1)

    @property
    def uses(self) -> np.ndarray:
        """[N, K] read-only flags: consumer i uses marketplace k."""
        return _read_only(bits.unpack(self.used, self.n_markets).T)

    def set_holdings(self, holds: np.ndarray, market: Market) -> None:
        """Replace who holds which wallet ([N, W] bool), e.g. to start from chosen shares."""
        self.held = bits.pack(np.asarray(holds, bool).T, self.held.dtype)
        self.refresh(market)

    @property
    def contacts(self) -> np.ndarray:
        """[N, degree] indices of each consumer's contacts."""
        return self.network.contacts

    def app_members(self, platform: int) -> np.ndarray:
        """Indices of the consumers whose super-app is ``platform``'s."""
        return self._members.get(int(platform), np.zeros(0, np.intp))

    # -- terms of the rules ------------------------------------------------------
    def reachable(self, market: Market, rows: np.ndarray | slice = slice(None)) -> np.ndarray:
        """[K, R]: marketplace reachable at all (mini-programs only inside their host app, while approved)."""
        return market.reach_by_home.take(self.home_col[rows], axis=1)

    def can_pay(self, market: Market, rows: np.ndarray | slice = slice(None)) -> np.ndarray:
        """[K, R]: a held wallet is accepted at k."""
        return wallets.can_pay(bits.unpack(self.held[rows], self.n_wallets), market)

    def perceive_contacts(self, market: Market, rows: np.ndarray | None = None) -> None:
        """Word of mouth: g_L x (share of contacts on k) where links to k open in i's super-app."""
        sel = slice(None) if rows is None else rows
        friends = self.network.count(self.used, self.n_markets, rows)  # [K, R] contacts on k
        gain = marketplaces.link_gain(market, self.cfg, self.network.degree).take(self.home_col[sel], axis=1)
        set_cols(self.social, sel, friends * gain)

    def update_weights(self, market: Market, rows: np.ndarray | slice = slice(None), own: np.ndarray | None = None,
                       pay_ok: np.ndarray | None = None, reachable: np.ndarray | None = None) -> None:
        """Recompute where the consumers ``rows`` can buy and their logit weights; ``own``, ``pay_ok`` and
        ``reachable`` are the rows' terms if the caller has them."""
        if pay_ok is None:
            pay_ok = self.can_pay(market, rows)
        if reachable is None:
            reachable = self.reachable(market, rows)
        usable = bits.unpack(self.used[rows], self.n_markets) & pay_ok & reachable
        if own is None:
            own = marketplaces.own_utility(cols(self.taste, rows), pay_ok, self.cfg)
        set_cols(self.weight, rows, checkout.own_weight(own, usable))
        self.usable[rows] = bits.pack(usable, self.usable.dtype)

    def refresh(self, market: Market) -> None:
        """Re-perceive word of mouth and recompute every weight (after the market changed)."""
        self.perceive_contacts(market)
        self.update_weights(market)

    def check_weights(self, market: Market) -> bool:
        """The kept weights equal a fresh computation from the state."""
        pay_ok = self.can_pay(market)
        usable = bits.unpack(self.used, self.n_markets) & pay_ok & self.reachable(market)
        own = marketplaces.own_utility(self.taste, pay_ok, self.cfg)
        return bool((bits.pack(usable, self.usable.dtype) == self.usable).all()
                    and (checkout.own_weight(own, usable) == self.weight).all())

    # -- the rules ---------------------------------------------------------------
    def revise_wallets(self, market: Market, rng: np.random.Generator) -> np.ndarray:
        """7.1: revising consumers hold or drop each wallet; returns [N] bool, the consumers whose new
        holdings change where they can pay."""
        rows = np.flatnonzero(rng.random(self.n, dtype=np.float32) < self.cfg.wallet_revision)
        friends = self.network.count(self.held, self.n_wallets, rows)  # [W, R] contacts holding w
        old = bits.unpack(self.held[rows], self.n_wallets)
        u = rng.random(old.shape, dtype=np.float32)
        new = wallets.adopt(old, friends, cols(self.spend, rows), self.budget[rows], market, self.cfg,
                            self.network.degree, u)
        changed = np.zeros(self.n, bool)
        changed[rows] = wallets.pay_set_changed(old, new, market)
        self.held[rows] = bits.pack(new, self.held.dtype)
        return changed

    def revise_marketplaces(self, market: Market, base: np.ndarray, rng: np.random.Generator,
                            wallets_changed: np.ndarray | None = None) -> None:
        """7.2: revising consumers keep, add or drop marketplaces; then where they, and the consumers
        whose wallets changed, can buy is recomputed."""
        revising = rng.random(self.n, dtype=np.float32) < self.cfg.market_revision
        revisers = np.flatnonzero(revising)
        R = len(revisers)
        if wallets_changed is None:
            rows = revisers
        else:  # consumers whose usable set may change: the revisers first, then those whose wallets changed
            rows = np.concatenate([revisers, np.flatnonzero(wallets_changed & ~revising)])
        self.perceive_contacts(market, revisers)
        pay_ok = self.can_pay(market, rows)
        reachable = self.reachable(market, rows)
        own = marketplaces.own_utility(cols(self.taste, rows), pay_ok, self.cfg)
        old = bits.unpack(self.used[revisers], self.n_markets)
        z = standard_normal(rng, (market.n_markets, R))
        new = marketplaces.revise(old, own[:, :R], cols(self.social, revisers), base, reachable[:, :R], self.cfg, z)
        users = bits.flag_counts(self.used, self.n_markets)
        dropped = (old & ~new).sum(axis=1)
        self.retention = np.where(users > 0, 1.0 - dropped / np.maximum(users, 1), 1.0)
        self.used[revisers] = bits.pack(new, self.used.dtype)
        self.update_weights(market, rows, own, pay_ok, reachable)  # holdings and contacts as perceived above

    def checkout(self, market: Market, base: np.ndarray, sellers: np.ndarray, rng: np.random.Generator,
                 tick: int = 0) -> Purchases:
        """7.3: spend the budget over usable marketplaces and pay with held-and-accepted wallets."""
        c = self.cfg
        outside = checkout.outside_utility(c, tick)  # buying offline, this month
        common = checkout.common_weight(base - np.float32(outside), sellers)  # relative to buying offline
        spending = checkout.spending(self.weight, common, self.budget, market)
        if self.has_spent:
            spending = checkout.keep_habit(spending, self.spend, c.spend_adjustment)
        self.spend, self.has_spent = spending.spend, True
        u_wallet = rng.random((market.n_markets, self.n), dtype=np.float32)
        paid = checkout.pay(spending, self.held, self.last_wallet, market, c, self._lane, u_wallet)
        self.last_wallet = paid.last_wallet
        commerce = paid.market_wallet.sum(axis=0)
        count = (paid.market_wallet / market.ticket[:, None]).sum(axis=0)
        value = commerce.copy()
        for w, owner in enumerate(market.wallet_owner):  # peer transfers inside super-apps, with the owner's wallet
            p2p = np.count_nonzero(self.held.take(self.app_members(owner)) >> self.held.dtype.type(w) & 1)
            value[w] += c.p2p_value * p2p
            count[w] += c.p2p_count * p2p
        surplus = (self.budget @ np.log1p(spending.total)) / self.n / max(c.tau, 1e-9)  # money, per consumer
        can_buy = self.usable & bits.pack(spending.open[:, None], self.usable.dtype)[0]
        return Purchases(gmv=paid.gmv, value=value, count=count, commerce_value=commerce,
                         market_wallet=paid.market_wallet, surplus=float(surplus), can_buy=can_buy)
