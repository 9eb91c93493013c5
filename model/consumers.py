"""Consumers as struct-of-arrays state with vectorized rules.

Each rule below is the DOMAIN.md mechanism written once over all consumers:

* wallet adoption: hold w if a_w + g_D q_iw + g_I A_iw - c_w [new] + noise > 0,
  q_iw = share of i's contacts holding w (direct network effect),
  A_iw = share of i's spending at sellers accepting w (indirect effect); with
  logistic noise that is a draw with probability logistic(utility / scale);
* marketplace choice: V_ik = v_k - tau p_k + b_M ln(1 + S_k / S_mean)
  + lam [holds a wallet k accepts] + g_L [link to k opens in i's super-app] x
  (share of contacts on k) + taste_ik; keep k while V + shock > 0, add a new
  one when V + shock - switching cost exceeds the multi-homing threshold;
* checkout: spend splits over usable marketplaces by logit on V, and at each
  marketplace over held-and-accepted wallets by logit on appeal + habit.

Layout: per-consumer state with one value per marketplace or wallet is stored
as one contiguous array of N per column ([K, N] and [W, N]): the rules work
column by column, which numpy does several times faster than across the short
rows of an [N, K] array.  ``holds`` and ``uses`` give the [N, W] / [N, K] view
(one row per consumer) for agents, notebooks and tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from .bits import bit_counts, bitmask, bits_of, flag_counts, group_sums, lanes
from .config import ConsumerConfig
from .draws import standard_normal
from .market import Market
from .network import SmallWorld


def inverse_cdf(p: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Sample a row per column of the [C, N] weights ``p`` given uniforms ``u`` [N] on the column totals' scale."""
    cum = p[0].copy()
    pick = np.zeros(p.shape[1], np.int32)
    for j in range(1, p.shape[0]):
        pick += cum < u
        cum += p[j]
    return pick


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


class HomeTables(NamedTuple):
    """Terms by super-app (one column per home app, column 0 for none); see
    :meth:`ConsumerPopulation.home_tables`."""

    reach: np.ndarray  # [K, P + 1] k reachable (mini-programs only inside their host app, while approved)
    gain: np.ndarray  # [K, P + 1] float32 word of mouth per contact on k: g_L / degree where links to k open


class WalletTables(NamedTuple):
    """Checkout and payment terms by wallet type T = (wallets held, last wallet used); see
    :meth:`ConsumerPopulation.wallet_tables`."""

    pay: np.ndarray  # [K, T] a held wallet is accepted at k
    prob: np.ndarray  # [T, K, W] checkout wallet probabilities
    cum: np.ndarray  # [W, T * K] their cumulative sums over wallets, float32
    differs: np.ndarray  # [held set, held set] the two sets can pay at different marketplaces
    stay: np.ndarray  # [W, held set] float32 -(appeal - adoption cost if not held) / wallet noise


@dataclass
class Purchases:
    """What consumers bought in one tick (aggregates only; per-consumer arrays are dropped)."""

    gmv: np.ndarray  # [K] value by marketplace
    value: np.ndarray  # [W] value by wallet (commerce + peer transfers)
    count: np.ndarray  # [W] transactions by wallet
    commerce_value: np.ndarray  # [W] value paid to merchants by wallet
    market_wallet: np.ndarray  # [K, W] value at marketplace k paid with wallet w
    surplus: float  # mean logit inclusive value (consumer surplus)
    can_buy: np.ndarray  # [N] int32 bit mask of marketplaces the consumer can buy on


class ConsumerPopulation:
    """All consumers' state as numpy arrays; one instance per model."""

    def __init__(self, n: int, degree: int, cfg: ConsumerConfig, market: Market, rng: np.random.Generator):
        self.n, self.cfg = n, cfg
        K, W = market.n_markets, market.n_wallets
        self.network = SmallWorld(n, degree, rng)
        self.taste = np.ascontiguousarray((rng.standard_normal((n, K)) * cfg.taste_sd).astype(np.float32).T)
        self.budget = rng.lognormal(-cfg.budget_sigma**2 / 2, cfg.budget_sigma, n).astype(np.float32)
        self.budget *= np.float32(cfg.budget_mean)
        n_social = len(market.social_platforms)
        on_app = rng.random(n) < cfg.social_share if n_social else np.zeros(n, bool)
        home = market.social_platforms[rng.integers(0, max(n_social, 1), n)] if n_social else np.zeros(n, int)
        self.home_app = np.where(on_app, home, -1).astype(np.int8)  # platform index of i's super-app
        self._on_app: dict[int, np.ndarray] = {}
        self._home_col = self.home_app.astype(np.intp) + 1  # column of i's super-app in the home tables
        self._homes_for = -1  # market version the home tables were built for
        p_wallet = np.array([cfg.initial_wallet.get(w, 0.5) for w in market.wallets])
        self.wallets_held = np.ascontiguousarray((rng.random((n, W)) < p_wallet).T)  # [W, N]
        self.held_bits = bitmask(self.wallets_held)  # [N] the held set as a bit mask
        p_market = np.array([cfg.initial_market.get(k, 0.3) for k in market.marketplaces])
        self.markets_used = np.ascontiguousarray((rng.random((n, K)) < p_market).T)  # [K, N]
        self.markets_used &= market.market_host[:, None] < 0  # mini-programs start unused
        self.last_wallet = np.full(n, -1, np.int8)
        self._lane = lanes(n)
        self.spend = np.zeros((K, n), np.float32)  # last tick's spending by marketplace
        self.retention = np.ones(K)  # last tick's monthly retention per marketplace
        # Cached per-consumer terms, refreshed only for consumers who revise (or for all after
        # a policy change): social = word of mouth through links (contacts on k, if links to k
        # open in i's super-app), re-perceived when i reconsiders marketplaces; usable = on k,
        # k reachable and a held wallet accepted; weight = exp(own part of V) where usable.
        self.social = np.zeros((K, n), np.float32)
        self.weight = np.zeros((K, n), np.float32)
        self.usable_bits = np.zeros(n, np.int32)
        self._base: tuple = (None, None, None)  # (market version, sellers, base utility) last computed
        self._tables_for = -1  # market version the wallet tables were built for
        self.refresh(market)

    # -- per-consumer views ----------------------------------------------------
    @property
    def holds(self) -> np.ndarray:
        """[N, W] read-only view: consumer i holds wallet w (change it with :meth:`set_holdings`)."""
        return _read_only(self.wallets_held.T)

    @property
    def uses(self) -> np.ndarray:
        """[N, K] read-only view: consumer i uses marketplace k."""
        return _read_only(self.markets_used.T)

    def set_holdings(self, holds: np.ndarray) -> None:
        """Replace who holds which wallet ([N, W] bool), e.g. to start from chosen shares."""
        self.wallets_held[:] = np.asarray(holds, bool).T
        self.held_bits = bitmask(self.wallets_held)

    @property
    def contacts(self) -> np.ndarray:
        """[N, degree] indices of each consumer's contacts."""
        return self.network.contacts

    def on_app(self, platform: int) -> np.ndarray:
        """[N] bool: the consumer's super-app is ``platform``'s (cached: home apps never change)."""
        if platform not in self._on_app:
            self._on_app[platform] = self.home_app == platform
        return self._on_app[platform]

    # -- rules ---------------------------------------------------------------
    def home_tables(self, market: Market) -> HomeTables:
        """Terms by super-app (column 0: none, column p + 1: platform p's).  Cached until the
        market's policies change."""
        if self._homes_for != market.version:
            P = len(market.links_open)
            host = market.market_host[:, None]
            links = np.zeros((market.n_markets, P + 1), bool)
            links[:, 1:] = market.links_open.T
            homes = np.arange(-1, P)[None, :]
            reach = ((host < 0) | (host == homes)) & market.active[:, None]
            gain = (links * (self.cfg.g_links / self.network.degree)).astype(np.float32)
            self._homes, self._homes_for = HomeTables(reach, gain), market.version
        return self._homes

    def access(self, market: Market, rows: np.ndarray | slice = slice(None)) -> np.ndarray:
        """[K, N or R]: marketplace reachable at all (mini-programs only inside their host app)."""
        return self.home_tables(market).reach.take(self._home_col[rows], axis=1)

    def base_utility(self, market: Market, sellers: np.ndarray) -> np.ndarray:
        """[K] the common part of V: quality, price and the seller-side network effect (computed
        once per tick: marketplace choice and checkout see the same sellers)."""
        version, seen, base = self._base
        if version == market.version and seen == sellers.tobytes():
            return base
        c = self.cfg
        price = 1.0 + market.pass_through * market.commission
        listable = market.listable
        mean_sellers = max(sellers @ listable / np.count_nonzero(listable), 1e-9)
        base = market.quality - c.tau * price + c.b_merchants * np.log1p(sellers / mean_sellers)
        base = base.astype(np.float32)
        self._base = (market.version, sellers.tobytes(), base)
        return base

    def can_pay(self, market: Market, rows: np.ndarray | slice = slice(None)) -> np.ndarray:
        """[K, N or R]: a held wallet is accepted at k."""
        return self.wallet_tables(market).pay.take(self.wallet_type(rows), axis=1)

    def individual_utility(self, market: Market, rows: np.ndarray | slice = slice(None),
                           pay_ok: np.ndarray | None = None) -> np.ndarray:
        """[K, N or R] the consumer's own part of V: taste, wallet fit and links from contacts."""
        if pay_ok is None:
            pay_ok = self.can_pay(market, rows)
        own = cols(self.taste, rows) + cols(self.social, rows)
        own += np.float32(self.cfg.lam_wallet) * pay_ok
        return own

    def perceive_contacts(self, market: Market, rows: np.ndarray | None = None) -> None:
        """Word of mouth: g_L x (share of contacts on k) where links to k open in i's super-app."""
        sel = slice(None) if rows is None else rows
        friends = self.network.count_bits(self.used_bits, len(self.markets_used), rows)  # [K, R] contacts on k
        gain = self.home_tables(market).gain.take(self._home_col[sel], axis=1)  # [K, R]
        set_cols(self.social, sel, friends * gain)

    def update_usable(self, market: Market, rows: np.ndarray | slice = slice(None), own: np.ndarray | None = None,
                      pay_ok: np.ndarray | None = None, reachable: np.ndarray | None = None) -> None:
        """Recompute where consumers can buy (on k, k reachable, a held wallet accepted) and their
        weights; ``own``, ``pay_ok`` and ``reachable`` are the rows' terms if the caller has them."""
        if pay_ok is None:
            pay_ok = self.can_pay(market, rows)
        if reachable is None:
            reachable = self.access(market, rows)
        usable = cols(self.markets_used, rows) & pay_ok & reachable
        if own is None:
            own = self.individual_utility(market, rows, pay_ok)
        weight = np.minimum(own, np.float32(30.0))
        np.exp(weight, out=weight)
        weight *= usable
        set_cols(self.weight, rows, weight)
        self.usable_bits[rows] = bitmask(usable)

    def refresh(self, market: Market) -> None:
        """All cached terms for everybody (after a policy change)."""
        self.used_bits = bitmask(self.markets_used)  # [N] the marketplaces used as a bit mask
        self.users = flag_counts(self.markets_used)  # [K] consumers on each marketplace
        self.perceive_contacts(market)
        self.update_usable(market)

    def adopt_wallets(self, market: Market, rng: np.random.Generator) -> np.ndarray:
        """Revising consumers hold or drop each wallet by the threshold rule; returns [N] bool of
        the consumers whose new holdings change where they can pay."""
        c = self.cfg
        rows = np.flatnonzero(rng.random(self.n, dtype=np.float32) < c.wallet_revision)
        # utility v = g_D q + g_I A + appeal - cost [new]; v + wallet_noise x logistic noise > 0
        # happens with probability logistic(v / wallet_noise); x = -v / wallet_noise is built in place
        scale = -1.0 / c.wallet_noise
        friends = self.network.count_bits(self.held_bits, len(self.wallets_held), rows)  # [W, R] contacts holding w
        x = friends * np.float32(scale * c.g_direct / self.network.degree)  # direct effect
        A = market.accepting_f32 @ cols(self.spend, rows)  # [W, R] spending at sellers accepting w
        A *= np.float32(scale * c.g_indirect) / self.budget[rows]  # indirect effect
        x += A
        old_bits = self.held_bits[rows]
        x += self.wallet_tables(market).stay.take(old_bits, axis=1)  # appeal, minus the cost of a new wallet
        np.minimum(x, np.float32(80.0), out=x)
        np.exp(x, out=x)
        x += 1
        x *= rng.random(x.shape, dtype=np.float32)
        new = x < 1  # uniform < logistic(v / wallet_noise)
        changed = np.zeros(self.n, bool)
        new_bits = bitmask(new)
        changed[rows] = self.wallet_tables(market).differs[old_bits, new_bits]
        set_cols(self.wallets_held, rows, new)
        self.held_bits[rows] = new_bits
        return changed

    def choose_marketplaces(self, market: Market, sellers: np.ndarray, rng: np.random.Generator,
                            wallets_changed: np.ndarray | None = None) -> None:
        """Revising consumers keep, add or drop marketplaces (keep if V + shock > 0, add if
        V + shock - switching cost > multi-homing threshold); then where they, and consumers
        whose wallets changed, can buy is recomputed."""
        c = self.cfg
        revising = rng.random(self.n, dtype=np.float32) < c.market_revision
        revisers = np.flatnonzero(revising)
        R = len(revisers)
        if wallets_changed is None:
            rows = revisers
        else:  # consumers whose usable set may change: the revisers first, then those whose wallets changed
            rows = np.concatenate([revisers, np.flatnonzero(wallets_changed & ~revising)])
        self.perceive_contacts(market, revisers)
        pay_ok = self.can_pay(market, rows)
        reachable = self.access(market, rows)
        own = self.individual_utility(market, rows, pay_ok)
        shock = standard_normal(rng, (market.n_markets, R))  # V + noise, built in place
        shock *= np.float32(c.market_noise)
        shock += own[:, :R]
        shock += self.base_utility(market, sellers)[:, None]
        uses, old_bits = cols(self.markets_used, revisers), self.used_bits[revisers]
        add_cut = np.where(old_bits != 0, np.float32(c.multihoming_threshold + c.switching_cost),
                           np.float32(c.switching_cost))  # keep above 0, add above switching cost (+ threshold)
        new = shock > np.where(uses, np.float32(0), add_cut)
        new &= reachable[:, :R]
        new_bits = bitmask(new)
        K = market.n_markets
        dropped = bit_counts(old_bits & ~new_bits, K)
        self.retention = np.where(self.users > 0, 1.0 - dropped / np.maximum(self.users, 1), 1.0)
        self.users += bit_counts(new_bits & ~old_bits, K) - dropped
        set_cols(self.markets_used, revisers, new)
        self.used_bits[revisers] = new_bits
        self.update_usable(market, rows, own, pay_ok, reachable)  # holdings and contacts are as perceived above

    def wallet_type(self, rows: np.ndarray | slice = slice(None)) -> np.ndarray:
        """[N] code of (wallets held, last wallet used): all checkout choices depend only on it."""
        W = self.wallets_held.shape[0]
        return self.held_bits[rows] * (W + 1) + self.last_wallet[rows] + 1

    def wallet_tables(self, market: Market) -> WalletTables:
        """Per wallet type T: where a held wallet is accepted and the checkout wallet probabilities.

        Checkout is a logit over wallets held and accepted, on appeal + habit
        (bonus for the last wallet used).  Cached until the market's policies change."""
        if self._tables_for != market.version:
            self._tables, self._tables_for = self._build_wallet_tables(market), market.version
        return self._tables

    def _build_wallet_tables(self, market: Market) -> WalletTables:
        W = market.n_wallets
        codes = np.arange((1 << W) * (W + 1))
        held = (codes[:, None] // (W + 1) >> np.arange(W)[None, :] & 1).astype(bool)  # [T, W]
        last = codes % (W + 1) - 1
        habit = self.cfg.checkout_habit * (last[:, None] == np.arange(W)[None, :])
        weight = np.exp((market.wallet_appeal[None, :] + habit) / self.cfg.checkout_scale)  # [T, W]
        ok = held[:, None, :] & market.accepts[None, :, :]  # [T, K, W]
        prob = ok * weight[:, None, :]
        tot = prob.sum(axis=2, keepdims=True)
        prob = np.divide(prob, tot, out=np.zeros_like(prob), where=tot > 0)
        pay = np.ascontiguousarray(ok.any(axis=2).T)
        cum = np.ascontiguousarray(np.cumsum(prob, axis=2, dtype=np.float32).reshape(-1, W).T)
        by_set = pay[:, np.arange(1 << W) * (W + 1)]  # [K, held set]
        differs = (by_set[:, :, None] != by_set[:, None, :]).any(axis=0)
        held_in = bits_of(W).T.astype(bool)  # [W, held set]
        utility = market.wallet_appeal[:, None] - market.wallet_cost[:, None] * ~held_in
        stay = (-utility / self.cfg.wallet_noise).astype(np.float32)
        return WalletTables(pay, prob, cum, differs, stay)

    def checkout(self, market: Market, sellers: np.ndarray, rng: np.random.Generator) -> Purchases:
        """Spend the budget over usable marketplaces and pay with held-and-accepted wallets.

        Spending splits by logit on V = base_k + own_ik over usable marketplaces with sellers:
        exp(V) = exp(base_k) * weight_ik, so only the common part is new each tick."""
        c = self.cfg
        K, W = market.n_markets, market.n_wallets
        open_k = sellers > 0
        common = (np.exp(np.minimum(self.base_utility(market, sellers), 30.0)) * open_k).astype(np.float32)
        spend = self.weight * common[:, None]
        tot = common @ self.weight  # [N] logit denominators
        spender = tot > 0
        spend *= np.divide(self.budget, tot, out=np.zeros_like(tot), where=spender)[None, :]
        self.spend = spend  # [K, N]
        # aggregate spending by wallet type, then apply the type's checkout probabilities
        tables = self.wallet_tables(market)
        prob = tables.prob
        wtype = self.wallet_type()
        T = prob.shape[0]
        by_type = np.zeros((T, K))  # [T, K]; marketplaces without sellers sell nothing
        live = np.flatnonzero(open_k)
        by_type[:, live] = group_sums(wtype, T, [spend[k] for k in live], self._lane)
        market_wallet = np.einsum("tk,tkw->kw", by_type, prob)
        count = (market_wallet / market.ticket[:, None]).sum(axis=0)
        commerce = market_wallet.sum(axis=0)
        value = commerce.copy()
        # peer transfers inside super-apps, paid with the app owner's wallet if held
        for w, owner in enumerate(market.wallet_owner):
            p2p = np.count_nonzero(self.on_app(owner) & self.wallets_held[w])
            value[w] += c.p2p_value * p2p
            count[w] += c.p2p_count * p2p
        # habit: sample the marketplace of a purchase by spend, then the wallet used there
        k_pick = inverse_cdf(spend, rng.random(self.n, dtype=np.float32) * self.budget)
        cum = tables.cum  # [W, (type, k)]
        u, at = rng.random(self.n, dtype=np.float32), wtype * K + k_pick
        w_pick = np.zeros(self.n, np.int8)
        for w in range(W - 1):
            w_pick += u >= cum[w].take(at)
        np.copyto(self.last_wallet, w_pick, where=spender)
        surplus = np.log1p(tot).sum() / self.n / max(c.tau, 1e-9)
        bits = self.usable_bits & int(bitmask(open_k[:, None])[0])
        return Purchases(gmv=by_type.sum(axis=0), value=value, count=count, commerce_value=commerce,
                         market_wallet=market_wallet, surplus=float(surplus), can_buy=bits)
