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

from .config import ConsumerConfig
from .market import Market


def social_graph(n: int, degree: int, rng: np.random.Generator, rewire: float = 0.1) -> np.ndarray:
    """Small-world contacts as an [n, degree] index array (ring lattice, rewired).

    Like Watts-Strogatz but directed and fixed out-degree, so neighbour
    averages are one gather: ``holds[contacts].mean(axis=1)``.
    """
    half = np.arange(1, degree // 2 + 1)
    offsets = np.concatenate([half, -half, [degree // 2 + 1] * (degree % 2)])[:degree]
    contacts = (np.arange(n)[:, None] + offsets[None, :]) % n
    mask = rng.random(contacts.shape) < rewire
    contacts[mask] = rng.integers(0, n, mask.sum())
    return contacts.astype(np.int32)


@dataclass
class Purchases:
    """What consumers bought in one tick (aggregates only; per-consumer arrays are dropped)."""

    gmv: np.ndarray  # [K] value by marketplace
    value: np.ndarray  # [W] value by wallet (commerce + peer transfers)
    count: np.ndarray  # [W] transactions by wallet
    commerce_value: np.ndarray  # [W] value paid to merchants by wallet
    market_wallet: np.ndarray  # [K, W] value at marketplace k paid with wallet w
    surplus: float  # mean logit inclusive value (consumer surplus)
    can_buy: np.ndarray  # [N] uint16 bit mask of marketplaces the consumer can buy on


class ConsumerPopulation:
    """All consumers' state as numpy arrays; one instance per model."""

    def __init__(self, n: int, degree: int, cfg: ConsumerConfig, market: Market, rng: np.random.Generator):
        self.n, self.cfg = n, cfg
        K, W = market.n_markets, market.n_wallets
        self.contacts = social_graph(n, degree, rng)
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
        self.spend_share = np.zeros((n, K), np.float32)  # last tick's split of spending
        self.retention = np.ones(K)  # last tick's monthly retention per marketplace

    # -- rules ---------------------------------------------------------------
    def access(self, market: Market) -> np.ndarray:
        """[N, K]: marketplace reachable at all (mini-programs only inside their host app)."""
        host = market.market_host
        ok = (host[None, :] < 0) | (self.home_app[:, None] == host[None, :])
        return ok & market.active[None, :]

    def utility(self, market: Market, sellers: np.ndarray) -> np.ndarray:
        """[N, K] deterministic marketplace utility V_ik (before per-tick shocks)."""
        c = self.cfg
        price = 1.0 + market.pass_through * market.commission
        mean_sellers = max(sellers[market.listable].mean(), 1e-9)
        base = market.quality - c.tau * price + c.b_merchants * np.log1p(sellers / mean_sellers)
        pay_ok = (self.holds.astype(np.float32) @ market.accepts.T.astype(np.float32)) > 0
        friends = self.uses[self.contacts].mean(axis=1, dtype=np.float32)
        links = np.zeros_like(friends)
        on_app = self.home_app >= 0
        links[on_app] = market.links_open[self.home_app[on_app]]
        return base[None, :] + c.lam_wallet * pay_ok + c.g_links * links * friends + self.taste

    def adopt_wallets(self, market: Market, rng: np.random.Generator) -> None:
        """Revising consumers hold or drop each wallet by the threshold rule."""
        c = self.cfg
        q = self.holds[self.contacts].mean(axis=1, dtype=np.float32)  # [N, W]
        A = self.spend_share @ market.accepts.astype(np.float32)  # [N, W]
        u = market.wallet_appeal + c.g_direct * q + c.g_indirect * A - market.wallet_cost * ~self.holds
        u += c.wallet_noise * rng.logistic(size=u.shape).astype(np.float32)
        revise = rng.random(self.n) < c.wallet_revision
        self.holds[revise] = u[revise] > 0

    def choose_marketplaces(self, market: Market, sellers: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Revising consumers keep, add or drop marketplaces; returns V for checkout."""
        c = self.cfg
        V = self.utility(market, sellers)
        shock = V + c.market_noise * rng.standard_normal(V.shape).astype(np.float32)
        n_used = self.uses.sum(axis=1, keepdims=True)
        threshold = np.where(n_used > 0, c.multihoming_threshold, 0.0)
        keep = self.uses & (shock > 0)
        add = ~self.uses & (shock - c.switching_cost > threshold)
        revise = rng.random(self.n) < c.market_revision
        new = np.where(revise[:, None], keep | add, self.uses) & self.access(market)
        stayed = (self.uses & new).sum(axis=0)
        before = self.uses.sum(axis=0)
        self.retention = np.where(before > 0, stayed / np.maximum(before, 1), 1.0)
        self.uses = new
        return V

    def checkout(self, market: Market, V: np.ndarray, sellers: np.ndarray, rng: np.random.Generator) -> Purchases:
        """Spend the budget over usable marketplaces and pay with held-and-accepted wallets."""
        c = self.cfg
        K, W = market.n_markets, market.n_wallets
        held_ok = self.holds[:, None, :] & market.accepts[None, :, :]  # [N, K, W]
        can_buy = self.uses & held_ok.any(axis=2) & (sellers > 0)[None, :]
        # split of spending over marketplaces: logit on V among usable ones
        expV = np.where(can_buy, np.exp(np.minimum(V, 30.0)), 0.0)
        tot = expV.sum(axis=1)
        share = np.divide(expV, tot[:, None], out=np.zeros_like(expV), where=tot[:, None] > 0)
        self.spend_share = share.astype(np.float32)
        spend = share * self.budget[:, None]  # [N, K]
        # wallet choice at checkout: logit on appeal + habit, among held and accepted
        habit = np.zeros((self.n, W), np.float32)
        has_last = self.last_wallet >= 0
        habit[has_last, self.last_wallet[has_last]] = c.checkout_habit
        wu = np.exp((market.wallet_appeal[None, :] + habit) / c.checkout_scale)  # [N, W]
        wprob = held_ok * wu[:, None, :]
        wtot = wprob.sum(axis=2, keepdims=True)
        np.divide(wprob, wtot, out=wprob, where=wtot > 0)
        paid = spend[:, :, None] * wprob  # [N, K, W]
        market_wallet = paid.sum(axis=0)
        count = (paid / market.ticket[None, :, None]).sum(axis=(0, 1))
        commerce = market_wallet.sum(axis=0)
        value = commerce.copy()
        # peer transfers inside super-apps, paid with the app owner's wallet if held
        for w, owner in enumerate(market.wallet_owner):
            p2p = (self.home_app == owner) & self.holds[:, w]
            value[w] += c.p2p_value * p2p.sum()
            count[w] += c.p2p_count * p2p.sum()
        # habit: the wallet of this tick's largest share of spending, sampled
        per_wallet = paid.sum(axis=1)  # [N, W]
        totw = per_wallet.sum(axis=1)
        cum = np.cumsum(per_wallet, axis=1)
        draw = rng.random(self.n) * totw
        pick = (cum < draw[:, None]).sum(axis=1)
        self.last_wallet = np.where(totw > 0, np.minimum(pick, W - 1), self.last_wallet).astype(np.int8)
        surplus = np.log1p(tot).mean() / max(c.tau, 1e-9)
        bits = (can_buy.astype(np.uint16) << np.arange(K, dtype=np.uint16)).sum(axis=1, dtype=np.uint16)
        return Purchases(gmv=spend.sum(axis=0), value=value, count=count, commerce_value=commerce,
                         market_wallet=market_wallet, surplus=float(surplus), can_buy=bits)

    def nbytes(self) -> int:
        """Bytes held per model in consumer arrays (for the memory benchmark)."""
        return sum(a.nbytes for a in vars(self).values() if isinstance(a, np.ndarray))
