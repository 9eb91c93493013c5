"""7.8 The regulator: what it observes, when it investigates, what counts as a violation.

* ``ex_post`` (SAMR-like): each tick, for every platform not under investigation or remedy,
  an investigation opens with probability

      min(1, strength x logistic(psi0 + psi1 (share - 0.5) + psi2 complaints)),

  share = the platform's largest share (its marketplaces' GMV share, or its wallet's
  payment value share), complaints = share of its merchants under exclusivity or throttled
  (0 when it does not practise exclusivity).  After ``delay`` ticks: if the platform
  practised exclusivity during the investigation or blocks rival links, a fine of
  ``fine_rate`` x its revenue of the last 12 months and a remedy (no exclusivity for
  ``remedy_ticks``; a super-app must open links); otherwise the case is closed.
  A super-app that blocks rival links or rival mini-programs violates too.  A platform that
  chooses its exclusivity itself (``strategic``) complies after a remedy and resumes only if a
  later trial pays, expected fines included.
* ``ex_ante`` (DMA-like): alliances whose share (of marketplace GMV, or of wallet payment value)
  is at least ``gatekeeper_share`` are designated at once, every member with duties: no
  exclusivity, every wallet accepted, rival links and mini-programs admitted in a super-app.
  A member that does not choose a policy itself complies for good; one that does
  (``strategic``) may breach a duty, and a breach is fined ``fine_rate`` x its revenue of the
  last 12 months (twice that on a repeat) when detected, with the same probability as an ex
  post investigation opens.
* Any active regime flags predatory pricing: a platform with a share of at least
  ``gatekeeper_share`` whose take per unit of goods sold (commission on receipts + price to buyers,
  7.6) is below its cost.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..config import RegulatorConfig
from ..metrics import shares
from ..policy import PlatformPolicy


@dataclass(frozen=True)
class Observation:
    """What the regulator (and platforms weighing fines) see of each platform this tick."""

    share: dict[str, float]  # each platform's
    complaints: dict[str, float]
    group_share: dict[str, float]  # each alliance's


def platform_shares(names: list[str], gmv: np.ndarray, value: np.ndarray, market_owner: np.ndarray,
                    wallet_owner: np.ndarray) -> dict[str, float]:
    """Each platform's larger share: of marketplace GMV (summed over its marketplaces) or of wallet value."""
    g, v = shares(gmv), shares(value)
    out = {name: 0.0 for name in names}
    for k, o in enumerate(market_owner):
        out[names[o]] += g[k]
    for w, o in enumerate(wallet_owner):
        out[names[o]] = max(out[names[o]], v[w])
    return out


def group_shares(groups: list[str], platform_group: list[str], gmv: np.ndarray, value: np.ndarray,
                 market_owner: np.ndarray, wallet_owner: np.ndarray) -> dict[str, float]:
    """Each alliance's larger share: of marketplace GMV or of wallet value, summed over its members."""
    g, v = shares(gmv), shares(value)
    market = {name: 0.0 for name in groups}
    wallet = {name: 0.0 for name in groups}
    for k, o in enumerate(market_owner):
        market[platform_group[o]] += g[k]
    for w, o in enumerate(wallet_owner):
        wallet[platform_group[o]] += v[w]
    return {name: max(market[name], wallet[name]) for name in groups}


def complaints(names: list[str], in_force: list[bool], hit: np.ndarray, listings: np.ndarray,
               owner_sets: list[int]) -> dict[str, float]:
    """Share of each platform's merchants under exclusivity or throttled (``hit`` [M]), where it practises
    exclusivity; ``listings`` [M] listing sets, ``owner_sets`` [P] each platform's marketplaces as a set."""
    out = {}
    for pi, name in enumerate(names):
        if not in_force[pi]:
            out[name] = 0.0
            continue
        on_p = (listings & listings.dtype.type(owner_sets[pi])) != 0
        out[name] = float(np.count_nonzero(hit & on_p) / max(np.count_nonzero(on_p), 1))
    return out


def investigation_probability(cfg: RegulatorConfig, share: float, complaints: float) -> float:
    """strength x logistic(psi0 + psi1 (share - 0.5) + psi2 complaints), capped at 1."""
    z = cfg.psi0 + cfg.psi1 * (share - 0.5) + cfg.psi2 * complaints
    return min(1.0, cfg.strength / (1.0 + np.exp(-z)))


def blocks_rivals(policy: PlatformPolicy, social: bool) -> bool:
    """A super-app that keeps rival links closed or blocks rival mini-programs."""
    return social and not (policy.admits_rival_links and policy.admits_rival_apps)


def violating(policy: PlatformPolicy, social: bool, tick: int) -> bool:
    """What an investigation sanctions, as it stands at ``tick``: exclusivity in force, or a super-app
    blocking rivals."""
    return policy.exclusivity_in_force(tick) or blocks_rivals(policy, social)


def violated_since(policy: PlatformPolicy, social: bool, practised: list[int], opened: int) -> bool:
    """Found at decision time: exclusivity practised since the investigation opened, or rivals blocked now."""
    return any(t >= opened for t in practised) or blocks_rivals(policy, social)


DUTIES = ("exclusivity", "payment_openness", "link_openness", "app_approval")  # ex ante, by policy name


def duties_for(social: bool) -> frozenset[str]:
    """The ex ante duties of a designated platform (a super-app's include links and mini-programs)."""
    return frozenset(DUTIES if social else DUTIES[:2])


def breached(policy: PlatformPolicy, wallets: list[str], tick: int) -> list[str]:
    """The duties ``policy`` does not meet now."""
    met = {"exclusivity": not policy.exclusivity_in_force(tick),
           "payment_openness": all(set(m.accepts) >= set(wallets) for m in policy.marketplaces.values()),
           "link_openness": policy.admits_rival_links,
           "app_approval": policy.admits_rival_apps}
    return [d for d in sorted(policy.duties) if not met[d]]


def below_cost(policy: PlatformPolicy, cost: dict[str, float], take: dict[str, float]) -> list[str]:
    """Its marketplaces whose take per unit of goods sold (``settlement.platform_take``: commission on
    receipts + price to buyers, 7.6) is below the cost."""
    return [k for k, m in policy.marketplaces.items() if m.launched and take[k] < cost[k]]


def expected_fine(cfg: RegulatorConfig, share: float, complaints: float, annual_revenue: float) -> float:
    """P(investigation) x fine, for a platform that is violating (ex post regime)."""
    return investigation_probability(cfg, share, complaints) * cfg.fine_rate * annual_revenue
