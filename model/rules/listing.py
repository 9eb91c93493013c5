"""7.4 Merchant listing: a logit choice over every set of marketplaces.

A revising merchant m scores each set P of the marketplaces it can list on (launched, not
mirrored mini-programs) by

    profit_m(P) = sum_{k in P} f_k(P) s_mk - F_k - kappa max(|P| - 1, 0),
    s_mk = (margin_mk - e_k) w_m r_k / U  (+ the same for an approved mini-program mirroring
                                          k's listings),
    e_k  = (c_k + fee_k)(1 + pt_k c_k) - pt_k c_k,

with margin_mk the merchant's gross margin at base prices on the goods it sells at k, e_k what
commission c_k and wallet fees fee_k (both on receipts) take per unit of goods net of the share
pt_k of the commission passed on to prices (7.6), r_k last tick's sales (goods' value) per
unit of merchant weight, F_k the listing fee, kappa the multi-homing cost (all in units U of
mean sales per merchant) and f_k(P) the traffic factor of 7.5: under an exclusivity deal (P
within one alliance) or expected throttling (P spans alliances) on marketplaces that demand
exclusivity, 1 elsewhere.  With Gumbel noise of scale eta_m = ``choice_noise`` x w_m x the
mean sales rate (errors in proportion to the merchant's expected sales) the choice is a logit:
P(P) proportional to exp(profit(P) / eta_m).  The
sets are ordered by their bit pattern (marketplace j is bit j) and drawn with one uniform
against the cumulative probabilities.

:func:`reference` lists all 2^L sets.  :func:`choose`, the kernel, draws the same set from
the same uniform in time polynomial in L: because profit is a sum over the set's members,
with a factor that depends only on whether the set stays within one alliance and a cost
linear in its size, the probability mass of every branch of the bit-by-bit draw has a closed
form in sums of softplus terms (see :class:`_Masses`).

Docking restriction (``merchant.fixed_benefit``, Armstrong 2006): s_mk is replaced by a fixed
gain g_mk = value + a_2 n_k - t_2 |y_m - l_k| (:func:`fixed_gain`; n_k k's share of buyers'
spending, y_m and l_k points on the Hotelling line) and eta_m by ``choice_noise``, in units U;
both forms of the rule take it as ``gain``.
"""

from __future__ import annotations

import numpy as np
from scipy.special import logsumexp

from .. import hotelling
from ..config import MerchantConfig
from ..market import Market
from .enforcement import expected_throttling, traffic_factor
from .settlement import unit_cost


def sales_profit(margin: np.ndarray, weight: np.ndarray, rate: np.ndarray, fee: np.ndarray, market: Market,
                 unit: float) -> np.ndarray:
    """[K, R] s_mk, profit on sales before the traffic factor, in units, from the margins [R, K] and
    weights [R] of R merchants (mirrored channels: their own terms)."""
    per_sale = margin.T - unit_cost(market, fee)[:, None]
    return per_sale * weight[None, :] * rate[:, None] / unit


def fixed_gain(buyer_share: np.ndarray, position: np.ndarray, market: Market, cfg: MerchantConfig) -> np.ndarray:
    """[K, R] g_mk in units U for R merchants at ``position`` [R] from k's share of buyers' spending [K]."""
    fb = cfg.fixed_benefit
    gain = fb.value + fb.per_buyer_share * np.asarray(buyer_share, float)[:, None]
    return gain - fb.hotelling_cost * hotelling.distances(position, market.n_markets)


def gains(margin, weight, rate, fee, market: Market, cfg: MerchantConfig, unit: float,
          gain: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """([K, R] s_mk, [R] eta_m): from sales (:func:`sales_profit`, :func:`noise_scale`), or the fixed
    ``gain`` [K, R] with eta = ``choice_noise``."""
    if gain is None:
        return sales_profit(margin, weight, rate, fee, market, unit), noise_scale(weight, rate, market, cfg, unit)
    return np.array(gain, float), np.full(gain.shape[1], cfg.choice_noise)  # a copy: the kernel adds mirrors in place


def factors(market: Market, cfg: MerchantConfig) -> tuple[np.ndarray, np.ndarray]:
    """([K], [K]) traffic factors of a member of a set within one alliance, and of one spanning alliances."""
    demands = market.demands_exclusivity
    within = np.where(demands, traffic_factor(cfg, True, 0.0), 1.0)
    across = np.where(demands, traffic_factor(cfg, False, expected_throttling(cfg)), 1.0)
    return within, across


def noise_scale(weight: np.ndarray, rate: np.ndarray, market: Market, cfg: MerchantConfig, unit: float) -> np.ndarray:
    """[R] eta_m: ``choice_noise`` x the merchant's expected sales in units, w_m x the mean sales rate."""
    mean_rate = max(float(rate[market.open_to_merchants].mean()) if market.open_to_merchants.any() else 0.0, 1e-9)
    return cfg.choice_noise * weight * mean_rate / unit


def probabilities(margin, weight, rate, fee, market: Market, cfg: MerchantConfig, unit: float,
                  gain: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(sets [S, K] bool, their choice probabilities [S, R]) for the R revisers (margin [R, K], weight [R];
    rate, fee [K]; or fixed gains [K, R]), over all S = 2^L sets of the L marketplaces they can list on."""
    listable = np.flatnonzero(market.open_to_merchants)
    L, K = len(listable), market.n_markets
    sets = np.zeros((1 << L, K), bool)
    sets[:, listable] = np.arange(1 << L)[:, None] >> np.arange(L) & 1  # set s holds marketplace j if bit j of s
    groups_in = [len(set(market.market_group[row])) for row in sets]
    within, across = factors(market, cfg)
    f = np.where(np.array(groups_in)[:, None] <= 1, within, across) * sets  # [S, K] factor of each member
    for k, source in market.mirrored:  # an approved mini-program sells for its source's listings
        f[:, k] = f[:, source] if market.active[k] else 0.0
    s, eta = gains(margin, weight, rate, fee, market, cfg, unit, gain)  # [K, R], [R]
    size = sets.sum(axis=1)
    profit = f @ s - (sets @ market.fixed_fee + cfg.multihoming_cost * np.maximum(size - 1, 0))[:, None]
    p = np.exp((profit - profit.max(axis=0)) / eta)
    return sets, p / p.sum(axis=0)


def reference(margin, weight, rate, fee, market: Market, cfg: MerchantConfig, unit: float,
              u: np.ndarray, gain: np.ndarray | None = None) -> np.ndarray:
    """[R, K] listing sets chosen by the R revisers with uniforms u [R] (inverse CDF over the sets)."""
    sets, p = probabilities(margin, weight, rate, fee, market, cfg, unit, gain)
    pick = np.minimum((np.cumsum(p, axis=0) < u[None, :]).sum(axis=0), len(sets) - 1)
    return sets[pick]


def _log_expm1(x: np.ndarray) -> np.ndarray:
    """log(e^x - 1) = x + log(1 - e^-x) for x >= 0 (-inf at 0), without overflow."""
    with np.errstate(divide="ignore"):
        return x + np.log(-np.expm1(-x))


class _Masses:
    """Log probability masses of the sets that extend a chosen part A by members below position t.

    With a_j = (f_j s_j - F_j - kappa) / eta for each listable marketplace j (f: within one
    alliance, or across alliances), a set P weighs exp(sum_{j in P} a_j + kappa / eta [P
    nonempty]).  Summed over all subsets B of some members below t, prod (1 + e^a_j) =
    exp(sum softplus(a_j)); so every mass below is a sum of softplus terms, and the sets that
    span two alliances or more are counted by adding the marketplaces one at a time (no
    differences of large numbers)."""

    def __init__(self, a_within: np.ndarray, a_across: np.ndarray, group: np.ndarray, bonus: float):
        L, R = a_within.shape
        G = int(group.max()) + 1
        self.bonus, self.G = bonus, G  # kappa / eta, earned by any nonempty set
        member = (group[None, :] == np.arange(G)[:, None])[:, :, None]  # [G, L, 1]

        def below(x):  # [..., L, R] -> [..., L + 1, R]: sums over the positions below t
            out = np.zeros(x.shape[:-2] + (L + 1, R))
            np.cumsum(x, axis=-2, out=out[..., 1:, :])
            return out

        sw, sx = np.logaddexp(0, a_within), np.logaddexp(0, a_across)  # softplus
        self.stay = below(member * sw)  # [G, L + 1, R] subsets of g's members below t (within factors)
        self.across_in = below(member * sx)  # ... with the across factors
        self.across_out = below(~member * sx)  # subsets of the other alliances' members below t
        self.across = below(sx)  # [L + 1, R] any subset below t, across factors
        singles = logsumexp(_log_expm1(self.stay), axis=0)  # nonempty sets within one alliance
        spanning = np.full((L + 1, R), -np.inf)  # sets below t spanning two alliances or more
        for j in range(L):  # sets gaining member j: j plus any set below with a member outside j's alliance
            spanning[j + 1] = np.logaddexp(spanning[j], a_across[j] + self.leave(group[j], j))
        self.from_empty = np.logaddexp(0, bonus + np.logaddexp(singles, spanning))  # [L + 1, R] A empty

    def leave(self, g, t: int, cols=slice(None)) -> np.ndarray:
        """Log mass of the subsets below t of g's members plus at least one other alliance's member."""
        return self.across_in[g, t, cols] + _log_expm1(self.across_out[g, t, cols])

    def log_mass(self, t: int, state: np.ndarray, s_within: np.ndarray, s_across: np.ndarray) -> np.ndarray:
        """[R] log mass of the sets A + B, B below position t, for A described by ``state`` (-1 empty,
        g within alliance g, G spanning) and its weights ``s_within``, ``s_across``."""
        cols = np.arange(len(state))
        g = np.minimum(np.maximum(state, 0), self.G - 1)
        single = np.logaddexp(s_within + self.stay[g, t, cols], s_across + self.leave(g, t, cols)) + self.bonus
        spanning = s_across + self.across[t] + self.bonus
        return np.where(state < 0, self.from_empty[t], np.where(state < self.G, single, spanning))


ENUMERATE_UP_TO = 8  # listable marketplaces for which listing all 2^L sets is the faster draw


def choose(margin, weight, rate, fee, market: Market, cfg: MerchantConfig, unit: float,
           u: np.ndarray, enumerate_up_to: int = ENUMERATE_UP_TO, gain: np.ndarray | None = None) -> np.ndarray:
    """Fast kernel of :func:`reference`: the same [R, K] sets from the same uniforms.  Up to
    ``enumerate_up_to`` listable marketplaces it lists every set (the reference); beyond, it draws bit
    by bit from the highest listable marketplace down, each bit set when the uniform falls past
    the mass of the sets without it (time polynomial in L)."""
    listable = np.flatnonzero(market.open_to_merchants)
    L, R = len(listable), len(u)
    if L <= enumerate_up_to:
        return reference(margin, weight, rate, fee, market, cfg, unit, u, gain)
    lists = np.zeros((R, market.n_markets), bool)
    if L == 0 or R == 0:
        return lists
    s, eta = gains(margin, weight, rate, fee, market, cfg, unit, gain)  # eta: each merchant's noise scale
    for k, source in market.mirrored:
        if market.active[k]:
            s[source] += s[k]
    within, across = factors(market, cfg)
    kappa = cfg.multihoming_cost
    fixed = market.fixed_fee[listable, None]
    a_within = (within[listable, None] * s[listable] - fixed - kappa) / eta  # [L, R]
    a_across = (across[listable, None] * s[listable] - fixed - kappa) / eta
    group = np.unique(market.market_group[listable], return_inverse=True)[1].ravel()
    masses = _Masses(a_within, a_across, group, kappa / eta)
    G = masses.G
    state = np.full(R, -1)
    s_within, s_across = np.zeros(R), np.zeros(R)
    log_total = masses.from_empty[L]
    rest = u.astype(np.float64)  # the uniform's remaining probability
    for j in range(L - 1, -1, -1):
        without = np.exp(masses.log_mass(j, state, s_within, s_across) - log_total)
        take = rest > without
        rest = np.where(take, rest - without, rest)
        joined = np.where(state < 0, group[j], np.where(state == group[j], state, G))
        state = np.where(take, joined, state)
        s_within = np.where(take, s_within + a_within[j], s_within)
        s_across = np.where(take, s_across + a_across[j], s_across)
        lists[:, listable[j]] = take
    return lists
