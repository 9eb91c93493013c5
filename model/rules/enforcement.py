"""7.5 Exclusivity ("choose one of two") and its enforcement by throttling.

A merchant is *defying* if it lists on a marketplace that demands exclusivity and also on a
marketplace of a rival alliance.  Each defier not already throttled is caught with
probability ``detection_rate`` and throttled for ``throttle_ticks``.  A merchant listed
where exclusivity is demanded and not defying is *exclusive* (under a deal).

Traffic on a demanding marketplace is scaled by the factor

    f = 1 + bonus                 under an exclusivity deal,
    f = 1 - penalty x P(throttled) otherwise (P = 1 while throttled, 0 for an uncaught defier),

and is 1 on marketplaces that do not demand exclusivity.  Listing decisions (7.4) use the
expected P(throttled) of a defier, d T / (1 + d T) (d = ``detection_rate``, T =
``throttle_ticks``); settlement (7.6) uses the merchant's actual state.
"""

from __future__ import annotations

import numpy as np

from ..config import MerchantConfig
from ..market import Market


def traffic_factor(cfg: MerchantConfig, deal, p_throttled):
    """Traffic factor on an exclusivity-demanding marketplace: 1 + bonus under a deal, else
    1 - penalty x P(throttled)."""
    return np.where(deal, 1 + cfg.exclusivity_bonus, 1 - cfg.throttle_penalty * np.asarray(p_throttled))


def expected_throttling(cfg: MerchantConfig) -> float:
    """Stationary chance that a defier is throttled: d T / (1 + d T)."""
    dt = cfg.detection_rate * cfg.throttle_ticks
    return dt / (1 + dt)


def defying(listed: np.ndarray, market: Market) -> np.ndarray:
    """[...]: listing sets ``listed`` [..., K] (0/1) on an exclusivity-demanding marketplace and on
    one of its rivals."""
    rival_listed = listed @ market.rival > 0  # [..., K] also listed on a rival of k
    return (listed * rival_listed) @ market.demands_exclusivity > 0


def defying_sets(listings: np.ndarray, market: Market) -> np.ndarray:
    """[M] the same as :func:`defying` for listing sets (:mod:`model.bits`)."""
    t = listings.dtype.type
    out = np.zeros(len(listings), bool)
    for k in np.flatnonzero(market.demands_exclusivity):
        out |= ((listings >> t(k)) & t(1)).astype(bool) & ((listings & t(market.rival_sets[k])) != 0)
    return out


def catch(defiant: np.ndarray, throttled: np.ndarray, u: np.ndarray, cfg: MerchantConfig) -> np.ndarray:
    """[M] defiers not yet throttled who are caught this tick (uniforms ``u`` [M])."""
    return defiant & ~throttled & (u < cfg.detection_rate)
