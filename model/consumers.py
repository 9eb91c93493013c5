"""Consumers as struct-of-arrays state with vectorized rules.

Each rule below is the DOMAIN.md mechanism written once over all consumers:

* wallet adoption: hold w if a_w + g_D q_iw + g_I A_iw - c_w [new] + noise > 0,
  q_iw = share of i's contacts holding w (direct network effect),
  A_iw = share of i's spending at sellers accepting w (indirect effect);
* marketplace choice: V_ik = v_k - tau p_k + b_M ln(1 + S_k / S_mean)
  + lam [holds a wallet k accepts] + g_L [link to k opens in i's super-app] x
  (share of contacts on k) + taste_ik; keep k while V + shock > 0, add a new
  one when V + shock - switching cost exceeds the multi-homing threshold;
* checkout: spend splits over usable marketplaces by logit on V, and at each
  marketplace over held-and-accepted wallets by logit on appeal + habit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse

from .config import ConsumerConfig
from .market import Market
from .network import SmallWorld


def bitmask(flags: np.ndarray) -> np.ndarray:
    """[N, C] bool -> [N] int32 with bit j set where column j is True."""
    out = flags[:, 0].astype(np.int32)
    for j in range(1, flags.shape[1]):
        out |= flags[:, j].astype(np.int32) << j
    return out


def column_counts(flags: np.ndarray) -> np.ndarray:
    """[N, C] bool -> [C] number of True per column (count_nonzero(axis=0) is much slower)."""
    return np.array([np.count_nonzero(flags[:, j]) for j in range(flags.shape[1])], dtype=np.int64)


def count_true(flags: np.ndarray) -> np.ndarray:
    """[N, C] bool -> [N] number of True per row (faster than sum(axis=1) for small C)."""
    out = flags[:, 0].astype(np.int8)
    for j in range(1, flags.shape[1]):
        out += flags[:, j]
    return out


def row_sum(x: np.ndarray) -> np.ndarray:
    """[N, C] -> [N] row sums by column adds (faster than sum(axis=1) for small C)."""
    out = x[:, 0].copy()
    for j in range(1, x.shape[1]):
        out += x[:, j]
    return out


def inverse_cdf(p: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Sample a column per row of the [N, C] probabilities ``p`` given uniforms ``u`` [N]."""
    cum = p[:, 0].copy()
    pick = np.zeros(len(p), np.int64)
    for j in range(1, p.shape[1]):
        pick += cum < u
        cum += p[:, j]
    return pick


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
        self.contacts = self.network.contacts  # [N, degree] indices of each consumer's contacts
        self.taste = (rng.standard_normal((n, K)) * cfg.taste_sd).astype(np.float32)
        self.budget = rng.lognormal(-cfg.budget_sigma**2 / 2, cfg.budget_sigma, n).astype(np.float32)
        self.budget *= np.float32(cfg.budget_mean)
        n_social = len(market.social_platforms)
        on_app = rng.random(n) < cfg.social_share if n_social else np.zeros(n, bool)
        home = market.social_platforms[rng.integers(0, max(n_social, 1), n)] if n_social else np.zeros(n, int)
        self.home_app = np.where(on_app, home, -1).astype(np.int8)  # platform index of i's super-app
        p_wallet = np.array([cfg.initial_wallet.get(w, 0.5) for w in market.wallets])
        self.holds = rng.random((n, W)) < p_wallet
        p_market = np.array([cfg.initial_market.get(k, 0.3) for k in market.marketplaces])
        self.uses = rng.random((n, K)) < p_market
        self.uses &= market.market_host[None, :] < 0  # mini-programs start unused
        self.last_wallet = np.full(n, -1, np.int8)
        self.spend = np.zeros((n, K), np.float32)  # last tick's spending by marketplace
        self.retention = np.ones(K)  # last tick's monthly retention per marketplace
        # Cached per-consumer terms, refreshed only for consumers who revise (or for all after
        # a policy change): social = word of mouth through links (contacts on k, if links to k
        # open in i's super-app), re-perceived when i reconsiders marketplaces; usable = on k,
        # k reachable and a held wallet accepted; weight = exp(own part of V) where usable.
        self.social = np.zeros((n, K), np.float32)
        self.weight = np.zeros((n, K), np.float32)
        self.usable_bits = np.zeros(n, np.int32)
        self.users = np.zeros(K, np.int64)  # consumers on each marketplace
        self.refresh(market)

    # -- rules ---------------------------------------------------------------
    def access(self, market: Market, rows: np.ndarray | slice = slice(None)) -> np.ndarray:
        """[N, K]: marketplace reachable at all (mini-programs only inside their host app)."""
        host = market.market_host
        ok = (host[None, :] < 0) | (self.home_app[rows, None] == host[None, :])
        return ok & market.active[None, :]

    def contact_mean(self, x: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
        """Share of each consumer's contacts (all consumers, or only ``rows``) with flag ``x``."""
        return self.network.mean(x, rows)

    def base_utility(self, market: Market, sellers: np.ndarray) -> np.ndarray:
        """[K] the common part of V: quality, price and the seller-side network effect."""
        c = self.cfg
        price = 1.0 + market.pass_through * market.commission
        mean_sellers = max(sellers[market.listable].mean(), 1e-9)
        base = market.quality - c.tau * price + c.b_merchants * np.log1p(sellers / mean_sellers)
        return base.astype(np.float32)

    def individual_utility(self, market: Market, rows: np.ndarray | slice = slice(None)) -> np.ndarray:
        """[N or len(rows), K] the consumer's own part of V: taste, wallet fit and links from contacts."""
        pay_ok = self.wallet_tables(market)[0][self.wallet_type(rows)]
        return self.taste[rows] + np.float32(self.cfg.lam_wallet) * pay_ok + self.social[rows]

    def utility(self, market: Market, sellers: np.ndarray) -> np.ndarray:
        """[N, K] deterministic marketplace utility V_ik as consumers currently perceive it."""
        return self.base_utility(market, sellers)[None, :] + self.individual_utility(market)

    @property
    def spend_share(self) -> np.ndarray:
        """[N, K] last tick's split of each consumer's spending over marketplaces."""
        return self.spend / self.budget[:, None]

    def perceive_contacts(self, market: Market, rows: np.ndarray | None = None) -> None:
        """Word of mouth: g_L x (share of contacts on k) where links to k open in i's super-app."""
        sel = slice(None) if rows is None else rows
        friends = self.contact_mean(self.uses, rows)
        home = self.home_app[sel]
        links = np.where((home >= 0)[:, None], market.links_open[home], False)
        self.social[sel] = np.float32(self.cfg.g_links) * links * friends

    def update_usable(self, market: Market, rows: np.ndarray | slice = slice(None),
                      own: np.ndarray | None = None) -> None:
        """Recompute where consumers can buy (on k, k reachable, a held wallet accepted) and their
        weights; ``own`` is the rows' own utility part if the caller has it already."""
        pay_ok = self.wallet_tables(market)[0][self.wallet_type(rows)]
        usable = self.uses[rows] & pay_ok & self.access(market, rows)
        if own is None:
            own = self.taste[rows] + np.float32(self.cfg.lam_wallet) * pay_ok + self.social[rows]
        self.weight[rows] = np.exp(np.minimum(own, 30.0)) * usable
        self.usable_bits[rows] = bitmask(usable)

    def refresh(self, market: Market) -> None:
        """All cached terms for everybody (after a policy change)."""
        self.perceive_contacts(market)
        self.update_usable(market)
        self.users = column_counts(self.uses)

    def adopt_wallets(self, market: Market, rng: np.random.Generator) -> np.ndarray:
        """Revising consumers hold or drop each wallet by the threshold rule; returns [N] bool of
        the consumers whose new holdings change where they can pay."""
        c = self.cfg
        revising = rng.random(self.n) < c.wallet_revision
        rows = np.flatnonzero(revising)
        q = self.contact_mean(self.holds, rows)  # [R, W] direct network effect
        spent = self.spend[rows]
        A = spent @ market.accepts.astype(np.float32) / self.budget[rows, None]  # [R, W] indirect effect
        held = self.holds[rows]
        u = market.wallet_appeal + c.g_direct * q + c.g_indirect * A - market.wallet_cost * ~held
        u += c.wallet_noise * rng.logistic(size=u.shape)
        new = u > 0
        W = market.n_wallets
        pay_ok = self.wallet_tables(market)[0][np.arange(1 << W) * (W + 1)]  # [held set, K]
        differs = (pay_ok[:, None, :] != pay_ok[None, :, :]).any(axis=2)  # [old set, new set]
        changed = np.zeros(self.n, bool)
        changed[rows] = differs[bitmask(held), bitmask(new)]
        self.holds[rows] = new
        return changed

    def choose_marketplaces(self, market: Market, sellers: np.ndarray, rng: np.random.Generator,
                            wallets_changed: np.ndarray | None = None) -> None:
        """Revising consumers keep, add or drop marketplaces (keep if V + shock > 0, add if
        V + shock - switching cost > multi-homing threshold)."""
        c = self.cfg
        revising = rng.random(self.n) < c.market_revision
        rows = np.flatnonzero(revising)
        self.perceive_contacts(market, rows)
        own = self.individual_utility(market, rows)
        V = self.base_utility(market, sellers)[None, :] + own
        shock = V + c.market_noise * rng.standard_normal(V.shape, dtype=np.float32)
        uses = self.uses[rows]
        threshold = np.where(uses.any(axis=1, keepdims=True), c.multihoming_threshold, 0.0)
        new = ((uses & (shock > 0)) | (~uses & (shock - c.switching_cost > threshold))) & self.access(market, rows)
        dropped = column_counts(uses & ~new)
        self.retention = np.where(self.users > 0, 1.0 - dropped / np.maximum(self.users, 1), 1.0)
        self.users += column_counts(new) - column_counts(uses)
        self.uses[rows] = new
        self.update_usable(market, rows, own)  # holdings and contacts are as perceived above
        if wallets_changed is not None:  # new holdings change where others can pay
            self.update_usable(market, np.flatnonzero(wallets_changed & ~revising))

    def wallet_type(self, rows: np.ndarray | slice = slice(None)) -> np.ndarray:
        """[N] code of (wallets held, last wallet used): all checkout choices depend only on it."""
        W = self.holds.shape[1]
        return bitmask(self.holds[rows]) * (W + 1) + (self.last_wallet[rows].astype(np.int32) + 1)

    def wallet_tables(self, market: Market) -> tuple[np.ndarray, np.ndarray]:
        """Per wallet type T: [T, K] can pay at k, and [T, K, W] checkout wallet probabilities.

        Checkout is a logit over wallets held and accepted, on appeal + habit
        (bonus for the last wallet used)."""
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
        return ok.any(axis=2), prob

    def checkout(self, market: Market, sellers: np.ndarray, rng: np.random.Generator) -> Purchases:
        """Spend the budget over usable marketplaces and pay with held-and-accepted wallets.

        Spending splits by logit on V = base_k + own_ik over usable marketplaces with sellers:
        exp(V) = exp(base_k) * weight_ik, so only the common part is new each tick."""
        c = self.cfg
        K, W = market.n_markets, market.n_wallets
        open_k = sellers > 0
        expV = self.weight * (np.exp(np.minimum(self.base_utility(market, sellers), 30.0)) * open_k)
        tot = row_sum(expV)
        spender = tot > 0
        expV *= (np.where(spender, self.budget, 0.0) / np.where(spender, tot, 1.0)).astype(np.float32)[:, None]
        spend = self.spend = expV  # [N, K]
        # aggregate spending by wallet type, then apply the type's checkout probabilities
        prob = self.wallet_tables(market)[1]
        wtype = self.wallet_type()
        T = prob.shape[0]
        one_hot = sparse.csc_matrix((np.ones(self.n, np.float32), wtype, np.arange(self.n + 1)), shape=(T, self.n))
        by_type = (one_hot @ spend).astype(np.float64)  # [T, K] spending by wallet type
        market_wallet = np.einsum("tk,tkw->kw", by_type, prob)
        count = (market_wallet / market.ticket[:, None]).sum(axis=0)
        commerce = market_wallet.sum(axis=0)
        value = commerce.copy()
        # peer transfers inside super-apps, paid with the app owner's wallet if held
        for w, owner in enumerate(market.wallet_owner):
            p2p = np.count_nonzero((self.home_app == owner) & self.holds[:, w])
            value[w] += c.p2p_value * p2p
            count[w] += c.p2p_count * p2p
        # habit: sample the marketplace of a purchase by spend, then the wallet used there
        k_pick = inverse_cdf(spend, rng.random(self.n, dtype=np.float32) * self.budget)
        cum = np.cumsum(prob, axis=2).reshape(-1, W)  # [(type, k), W]
        u, at = rng.random(self.n), wtype * K + k_pick
        w_pick = np.zeros(self.n, np.int8)
        for w in range(W - 1):
            w_pick += u >= cum[at, w]
        self.last_wallet = np.where(spender, w_pick, self.last_wallet).astype(np.int8)
        surplus = np.log1p(tot).mean() / max(c.tau, 1e-9)
        bits = self.usable_bits & int(bitmask(open_k[None, :])[0])
        return Purchases(gmv=by_type.sum(axis=0), value=value, count=count, commerce_value=commerce,
                         market_wallet=market_wallet, surplus=float(surplus), can_buy=bits)
