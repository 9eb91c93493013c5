"""7.2 Marketplace choice (DOMAIN mechanism).

Utility of buying on marketplace k for consumer i (the outside option, buying offline, is 0):

    V_ik = v_k - tau (1 + pt_k c_k + p_k) + b_M ln(1 + S_k / S_mean)
           + b_V ln(1 + S_k / (rho N))                                    (common part)
           + lam [i holds a wallet k accepts] + taste_ik                  (i's own part)

with v_k the quality, c_k the commission, pt_k its pass-through to prices, p_k the price the
platform charges buyers (< 0: a subsidy), S_k the sellers listed (mirrored for mini-programs),
S_mean their mean over the marketplaces merchants can list on (launched, not mirrored), and
b_V ln(1 + S_k / (rho N)) the absolute value of variety (rho = ``variety_scale`` sellers per
consumer).  Which marketplaces i uses is also swayed by word of mouth, g_L [links to k open in
i's super-app] F_ik with F_ik the share of i's contacts using k (perceived when i
reconsiders): it changes what i tries and keeps, not what buying there is worth (7.3).  A
reviser draws V + word of mouth + sigma z (z standard normal) and keeps k if that is above 0
(the outside option), adds a k it does not use if it is above ``switching_cost`` + threshold
(``multihoming_threshold`` if it already uses a marketplace, else 0), and can only use
marketplaces it can reach (mini-programs only inside their host super-app, while approved).
"""

from __future__ import annotations

import numpy as np

from ..config import ConsumerConfig
from ..market import Market


def base_utility(market: Market, cfg: ConsumerConfig, sellers: np.ndarray, consumers: int) -> np.ndarray:
    """[K] float32 common part of V: quality, price, and the seller-side network effects (relative
    to the other marketplaces, and the absolute value of variety)."""
    price = 1.0 + market.pass_through * market.commission + market.consumer_price
    listable = market.open_to_merchants
    mean_sellers = max(sellers @ listable / max(np.count_nonzero(listable), 1), 1e-9)
    variety = np.log1p(sellers / (cfg.variety_scale * consumers))
    base = (market.quality - cfg.tau * price + cfg.b_merchants * np.log1p(sellers / mean_sellers)
            + cfg.b_variety * variety)
    return base.astype(np.float32)


def link_gain(market: Market, cfg: ConsumerConfig, degree: int) -> np.ndarray:
    """[K, P + 1] float32 word of mouth per contact on k, by super-app column (0: none)."""
    return (market.links_by_home * (cfg.g_links / degree)).astype(np.float32)


def own_utility(taste: np.ndarray, pay_ok: np.ndarray, cfg: ConsumerConfig) -> np.ndarray:
    """[K, R] float32 i's own part of V: taste and wallet fit."""
    return taste + np.float32(cfg.lam_wallet) * pay_ok


def utility(uses: np.ndarray, holds: np.ndarray, contacts: np.ndarray, taste: np.ndarray, social: np.ndarray,
            home: np.ndarray, market: Market, cfg: ConsumerConfig, sellers: np.ndarray, revising: np.ndarray
            ) -> tuple[np.ndarray, np.ndarray]:
    """(V + word of mouth [N, K], perceived word of mouth [N, K]) as revisers see them: uses [N, K],
    holds [N, W], contacts [N, d], taste and social [N, K], home [N] super-app column (0: none,
    p + 1: platform p's), revising [N] (they re-perceive word of mouth)."""
    links = market.links_by_home[:, home].T
    F = uses[contacts].mean(axis=1)
    social = np.where(revising[:, None], cfg.g_links * links * F, social)
    pay_ok = holds @ market.accepts.T > 0
    V = base_utility(market, cfg, sellers, len(uses)) + taste + cfg.lam_wallet * pay_ok
    return V + social, social


def reference(uses: np.ndarray, holds: np.ndarray, contacts: np.ndarray, taste: np.ndarray, social: np.ndarray,
              home: np.ndarray, market: Market, cfg: ConsumerConfig, sellers: np.ndarray, revising: np.ndarray,
              z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(uses [N, K], perceived word of mouth [N, K]) after the tick (arguments as :func:`utility`;
    z [N, K] standard normals, read where revising)."""
    V, social = utility(uses, holds, contacts, taste, social, home, market, cfg, sellers, revising)
    shocked = V + cfg.market_noise * z
    threshold = np.where(uses.any(axis=1), cfg.multihoming_threshold, 0.0)[:, None]
    keep = uses & (shocked > 0)
    add = ~uses & (shocked - cfg.switching_cost > threshold)
    reach = market.reach_by_home[:, home].T
    return np.where(revising[:, None], (keep | add) & reach, uses), social


def revise(uses: np.ndarray, own: np.ndarray, social: np.ndarray, base: np.ndarray, reachable: np.ndarray,
           cfg: ConsumerConfig, z: np.ndarray) -> np.ndarray:
    """Fast kernel of :func:`reference` for the R revisers, column-wise: marketplaces used [K, R]
    after the tick from their use ``uses`` [K, R], own utility and word of mouth [K, R], the
    common part ``base`` [K], what they can reach [K, R] and standard normals ``z`` [K, R]
    (edited in place)."""
    shock = z
    shock *= np.float32(cfg.market_noise)
    shock += own
    shock += social
    shock += base[:, None]
    add_cut = np.where(uses.any(axis=0), np.float32(cfg.multihoming_threshold + cfg.switching_cost),
                       np.float32(cfg.switching_cost))  # keep above 0, add above switching cost (+ threshold)
    new = shock > np.where(uses, np.float32(0), add_cut)
    new &= reachable
    return new
