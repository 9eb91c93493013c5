"""7.3 Checkout (DOMAIN mechanism).

Consumer i can buy on k if it uses k, holds a wallet k accepts, k is reachable and has a
seller.  Its budget (all its retail spending) splits between those marketplaces and the
outside option (buying offline, utility V_0(t) = ``outside_utility`` + ``outside_trend`` x
(t - ``outside_trend_origin``), :func:`outside_utility`) by logit on V (7.2):

    spend_ik = budget_i exp(V_ik - V_0) / (1 + sum_k' exp(V_ik' - V_0)),

so worse online offers move spending offline.  Where to shop is a habit: i's spending on k moves
toward that split by the share r = ``spend_adjustment`` of the gap each month,

    spend_ik(t) = spend_ik(t - 1) + r (target_ik(t) - spend_ik(t - 1)),

and is 0 where i cannot buy this month (target 0); budget not yet moved is spent offline
(r = 1: at once; the first month spends the target).  A mini-program that mirrors a marketplace's
sellers is another way to the same goods, not more goods: where i can buy on both, it buys
through the better of the two only.  At k the payment splits over the wallets held and
accepted by logit on (a_w + h [w = the wallet i last used at k] + d [w = k's default]) /
``checkout_scale`` (h = ``checkout_habit``; d = ``checkout_default``, the bonus of the wallet
k's checkout preselects: its owner's, or its alliance's).  The habit is kept per marketplace, as
each app's cashier preselects the method last used in it: where i bought on k this month, its
last wallet at k is re-drawn from that purchase, by those checkout probabilities.  Consumer surplus,
in money: budget_i ln(1 + sum over usable k of exp(V_ik - V_0)) / tau, the logit inclusive
value over online offers and the outside option, relative to buying offline only, in units
of the budget (tau is the utility of a price change of 100% of the goods' value); it values the
offers of the month, not the habit's lag in taking them up.  Both parts of exp(V) = exp(common) exp(own) are
capped at e^30 against overflow.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import bits
from ..config import ConsumerConfig
from ..market import Market

CAP = 30.0  # exp(V) is computed as exp(min(common, CAP)) x exp(min(own, CAP))


def outside_utility(cfg, tick: int) -> float:
    """V_0 this month: the level at the trend's origin plus the trend since (before it: minus)."""
    return cfg.outside_utility + cfg.outside_trend * (tick - cfg.outside_trend_origin)


def probabilities_at(k: int, holds: np.ndarray, last: np.ndarray, market: Market, cfg: ConsumerConfig) -> np.ndarray:
    """[..., W] checkout probabilities at marketplace k of each wallet: logit over those held
    (``holds`` [..., W]) and accepted at k on a_w + h [w = ``last`` [...], the wallet last used at k]
    + d [w = k's default]."""
    W = market.n_wallets
    habit = cfg.checkout_habit * (last[..., None] == np.arange(W))
    preselected = cfg.checkout_default * market.default_wallet[k]
    weight = holds * market.accepts[k] * np.exp((market.wallet_appeal + habit + preselected) / cfg.checkout_scale)
    tot = weight.sum(axis=-1, keepdims=True)
    return np.divide(weight, tot, out=np.zeros_like(weight), where=tot > 0)


def wallet_probabilities(holds: np.ndarray, last: np.ndarray, market: Market, cfg: ConsumerConfig) -> np.ndarray:
    """[..., K, W] checkout probabilities at every marketplace; ``last`` [..., K] the wallet last used at each."""
    return np.stack([probabilities_at(k, holds, last[..., k], market, cfg) for k in range(market.n_markets)],
                    axis=-2)


def inverse_cdf(weights: np.ndarray, u: np.ndarray) -> np.ndarray:
    """[N] index picked in each row of ``weights`` [N, C]: the first whose cumulative sum reaches
    ``u`` [N] (on the rows' own scale), at most C - 1."""
    cum = np.cumsum(weights, axis=1)
    return np.minimum((cum < u[:, None]).sum(axis=1), weights.shape[1] - 1)


@dataclass
class Spending:
    spend: np.ndarray  # [K, N] float32 value spent on each marketplace
    total: np.ndarray  # [N] sum_k exp(V_ik) over the marketplaces bought on (0: nowhere to buy)
    open: np.ndarray  # [K] bool: k has sellers

    @property
    def online(self) -> np.ndarray:
        """[N] each consumer's spending on marketplaces (the rest of the budget is spent offline)."""
        return self.spend.sum(axis=0)


@dataclass
class Payments:
    market_wallet: np.ndarray  # [K, W] value at marketplace k paid with wallet w
    gmv: np.ndarray  # [K]
    last_wallet: np.ndarray  # [K, N] int8 wallet last used at each marketplace (unchanged where nothing was bought)


def habit(previous: np.ndarray, target: np.ndarray, rate: float) -> np.ndarray:
    """Spending after the habit of where to shop (same shape as ``target``): previous + rate
    (target - previous) where the target is positive, else 0."""
    moved = previous + np.float32(rate) * (target - previous)
    return np.where(target > 0, moved, 0).astype(target.dtype, copy=False)


def reference(uses, holds, last, taste, reach, budget, market: Market, cfg: ConsumerConfig,
              base: np.ndarray, sellers: np.ndarray, u_wallet: np.ndarray, tick: int = 0,
              previous: np.ndarray | None = None) -> dict:
    """Plain checkout over [N, K] / [N, W] arrays at ``tick``; returns spend [N, K], market_wallet [K, W],
    the last wallet at each marketplace [N, K] and surplus.  ``last`` [N, K] is the wallet last used
    at each marketplace (-1: none yet), u_wallet [N, K] the uniforms of this month's purchases;
    ``previous`` [N, K] is last month's spending (None: the first month)."""
    pay_ok = holds @ market.accepts.T > 0
    usable = uses & pay_ok & reach & (sellers > 0)
    own = taste + cfg.lam_wallet * pay_ok
    outside = outside_utility(cfg, tick)
    weight = np.exp(np.minimum(base - outside, CAP)) * np.exp(np.minimum(own, CAP)) * usable
    for k, source in market.mirrored:  # the same goods by two ways: only the better counts
        mirror_better = weight[:, k] > weight[:, source]
        weight[:, source] = np.where(mirror_better, 0.0, weight[:, source])
        weight[:, k] = np.where(mirror_better, weight[:, k], 0.0)
    total = weight.sum(axis=1)
    spend = weight * (budget / (1 + total))[:, None]
    if previous is not None:
        spend = habit(previous, spend, cfg.spend_adjustment)
    prob = wallet_probabilities(holds, last, market, cfg)  # [N, K, W]
    market_wallet = np.einsum("ik,ikw->kw", spend, prob)
    n, K = spend.shape
    used = inverse_cdf(prob.reshape(n * K, -1), u_wallet.reshape(-1)).reshape(n, K)
    return {"spend": spend, "market_wallet": market_wallet, "total": total,
            "last_wallet": np.where(spend > 0, used, last),
            "surplus": (budget * np.log1p(total)).mean() / cfg.tau}


def common_weight(base: np.ndarray, sellers: np.ndarray) -> np.ndarray:
    """[K] float32 exp(common part of V) where k has sellers, 0 elsewhere."""
    return (np.exp(np.minimum(base, CAP)) * (sellers > 0)).astype(np.float32)


def own_weight(own: np.ndarray, usable: np.ndarray) -> np.ndarray:
    """[K, R] float32 exp(own part of V) where usable (k used, reachable, a held wallet accepted)."""
    weight = np.minimum(own, np.float32(CAP))
    np.exp(weight, out=weight)
    weight *= usable
    return weight


def spending(weight: np.ndarray, common: np.ndarray, budget: np.ndarray, market: Market) -> Spending:
    """Fast kernel: the budget split by logit, column-wise, from the own weights [K, N] and the
    common weights [K] (exp(V) = common x own, so only the common part is new each tick)."""
    spend = weight * common[:, None]
    for k, source in market.mirrored:  # the same goods by two ways: only the better counts
        if market.active[k]:
            mirror_better = spend[k] > spend[source]
            spend[source][mirror_better] = 0
            spend[k][~mirror_better] = 0
    total = spend.sum(axis=0)
    spend *= (budget / (1 + total))[None, :]
    return Spending(spend, total, common > 0)


def keep_habit(spend: Spending, previous: np.ndarray, rate: float) -> Spending:
    """Fast kernel: this month's split [K, N] moved only ``rate`` of the way from ``previous`` (:func:`habit`)."""
    if rate >= 1:
        return spend
    return Spending(habit(previous, spend.spend, rate), spend.total, spend.open)


def pay(spend: Spending, held: np.ndarray, last: np.ndarray, market: Market, cfg: ConsumerConfig,
        lane: np.ndarray, u_wallet: np.ndarray) -> Payments:
    """Fast kernel: wallets used (held [N] sets of wallets held, last [K, N] the wallet last used at
    each marketplace, ``u_wallet`` [K, N] uniforms).

    At k, a buyer's checkout choice depends only on its wallet type there (wallets held, last
    wallet used at k), so k's spending is first summed by type (a striped weighted bincount), then
    split by each type's checkout probabilities; the wallet of the purchase is a lookup in the
    types' cumulative probabilities."""
    K, W = market.n_markets, market.n_wallets
    market_wallet, gmv, last = np.zeros((K, W)), np.zeros(K), last.copy()
    held_code = held.astype(np.int64) * (W + 1) + 1
    for k in np.flatnonzero(spend.open):  # marketplaces without sellers sell nothing
        buyers = np.flatnonzero(spend.spend[k] > 0)
        if not len(buyers):
            continue
        kinds, index = _index(held_code[buyers] + last[k, buyers], (1 << W) * (W + 1), W)
        kind_held = ((kinds[:, None] // (W + 1)) >> np.arange(W) & 1).astype(bool)  # [T, W]
        prob = probabilities_at(k, kind_held, kinds % (W + 1) - 1, market, cfg)  # [T, W]
        by_type = bits.group_sums(index, len(kinds), [spend.spend[k, buyers]], lane[buyers])[:, 0]  # [T]
        market_wallet[k], gmv[k] = by_type @ prob, by_type.sum()
        cum = np.ascontiguousarray(np.cumsum(prob, axis=1, dtype=np.float32).T)  # [W, T]
        u = u_wallet[k, buyers]
        used = np.zeros(len(buyers), np.int8)
        for w in range(W - 1):
            used += u >= cum[w].take(index)
        last[k, buyers] = used
    return Payments(market_wallet, gmv, last)


def _index(code: np.ndarray, bound: int, row: int) -> tuple[np.ndarray, np.ndarray]:
    """(wallet types, index of each consumer's type among them): every one of the ``bound`` possible
    types while their tables (``row`` numbers each) are small beside the consumers, else only the
    types present (so the cost stays polynomial in the number of wallets)."""
    if bound * row <= code.size // 4:
        return np.arange(bound), code
    if bound <= 4 * code.size:
        counts = np.bincount(code, minlength=bound)
        kinds = np.flatnonzero(counts)
        remap = np.zeros(bound, np.intp)
        remap[kinds] = np.arange(len(kinds))
        return kinds, remap[code]
    kinds = np.unique(code)
    return kinds, np.searchsorted(kinds, code)
