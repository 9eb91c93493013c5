"""7.1 Wallet adoption (DOMAIN mechanism).

A consumer who revises this tick holds wallet w afterwards if

    a_w + g_D q_iw + g_I A_iw - c_w [i does not hold w] + s eps_iw > 0,

with q_iw the share of i's contacts holding w (direct network effect), A_iw the share of
i's last spending at marketplaces accepting w (indirect network effect), a_w the wallet's
appeal, c_w its adoption cost, s = ``wallet_noise`` and eps standard logistic.  So i holds w
with probability logistic(v_iw / s), decided for each wallet by one uniform against it.
"""

from __future__ import annotations

import numpy as np

from ..config import ConsumerConfig
from ..market import Market


def probability(holds: np.ndarray, contacts: np.ndarray, spend: np.ndarray, budget: np.ndarray, market: Market,
                cfg: ConsumerConfig) -> np.ndarray:
    """[N, W] P(hold w after revising): holds [N, W], contacts [N, d], spend [N, K], budget [N]."""
    q = holds[contacts].mean(axis=1)
    A = spend @ market.accepts / budget[:, None]
    v = market.wallet_appeal + cfg.g_direct * q + cfg.g_indirect * A - market.wallet_cost * ~holds
    return 1 / (1 + np.exp(-v / cfg.wallet_noise))


def reference(holds: np.ndarray, contacts: np.ndarray, spend: np.ndarray, budget: np.ndarray, market: Market,
              cfg: ConsumerConfig, revising: np.ndarray, u: np.ndarray) -> np.ndarray:
    """[N, W] holdings after the tick; revising [N] (who reconsiders), u [N, W] uniforms (read where revising)."""
    p = probability(holds, contacts, spend, budget, market, cfg)
    return np.where(revising[:, None], u < p, holds)


def adopt(held: np.ndarray, friends: np.ndarray, spend: np.ndarray, budget: np.ndarray, market: Market,
          cfg: ConsumerConfig, degree: int, u: np.ndarray) -> np.ndarray:
    """Fast kernel of :func:`reference` for the R revisers, column-wise: holdings [W, R] after the
    tick from their holdings ``held`` [W, R], contacts holding each wallet ``friends`` [W, R],
    last spending ``spend`` [K, R], budgets [R] and uniforms ``u`` [W, R].

    x = exp(-v / s) is built in place in float32; u < logistic(v / s) is u (1 + x) < 1."""
    scale = -1.0 / cfg.wallet_noise
    x = friends * np.float32(scale * cfg.g_direct / degree)  # direct effect
    A = market.accepting_f32 @ spend
    A *= np.float32(scale * cfg.g_indirect) / budget  # indirect effect
    x += A
    x += (-(market.wallet_appeal[:, None] - market.wallet_cost[:, None] * ~held) / cfg.wallet_noise
          ).astype(np.float32)  # appeal, minus the cost of a wallet not yet held
    np.minimum(x, np.float32(80.0), out=x)
    np.exp(x, out=x)
    x += 1
    x *= u
    return x < 1


def can_pay(held: np.ndarray, market: Market) -> np.ndarray:
    """[K, R]: a wallet held (``held`` [W, R]) is accepted at k."""
    return (market.accepting_f32.T @ held.astype(np.float32)) > 0


def pay_set_changed(old: np.ndarray, new: np.ndarray, market: Market) -> np.ndarray:
    """[R]: the new holdings change where the consumer can pay (so what it can buy)."""
    return (can_pay(old, market) != can_pay(new, market)).any(axis=0)
