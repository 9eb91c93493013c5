"""7.7 Platform strategy: commission hill-climbing and policy trial and error.

The score of a strategy interval is the platform's revenue minus its expected antitrust fine
(per consumer: with the outside option, a price that drives buyers offline or merchants away
costs revenue).  Every ``strategy_interval`` ticks (taking the moves that apply in turn):

* commissions (``adaptive``), one group of marketplaces in turn (:func:`price_groups`): the
  group that moved last reverses direction if the score fell against the interval before its
  move; then the next group moves its commission by its step, within [0.005, 0.5];
* the price to buyers (``adaptive_consumer_price``): the same hill-climbing, in turn, within
  [-0.5, 1] (below 0: a subsidy, and not below 0 once the subsidy budget is spent);
* policies listed in ``strategic`` (exclusivity, payment openness, link openness, approval
  of rival mini-programs in its super-app, the offer of its own mini-programs in rivals'
  super-apps): a flip on trial is kept if the score did not fall and
  undone otherwise; else, with probability ``exploration``, the next policy in turn is
  flipped on trial.  A policy opened by an order, a mandate or a designation stays open.
"""

from __future__ import annotations

from collections.abc import Collection

import numpy as np

from ..policy import PlatformPolicy

COMMISSION_RANGE = (0.005, 0.5)
CONSUMER_PRICE_RANGE = (-0.5, 1.0)


def climb(prices: dict[str, float], direction: dict[str, float], score: float, last_score: float | None,
          step: float, bounds: tuple[float, float] = COMMISSION_RANGE, judged: Collection[str] | None = None,
          moving: Collection[str] | None = None) -> tuple[dict[str, float], dict[str, float]]:
    """(new prices, new signed steps) after one hill-climbing move: the prices in ``judged`` (default:
    all) keep their direction while the score rose; if it fell, they reverse and halve the step (to a
    tenth of ``step`` at least), so a price settles where the score peaks instead of circling it.  Then
    the prices in ``moving`` (default: all) take their step.  ``direction`` holds the signed steps
    (+1 / -1 for a first move of ``step``)."""
    judged = prices if judged is None else judged
    moving = prices if moving is None else moving
    moves = {k: (d * step if abs(d) == 1 else d) for k, d in direction.items()}
    if last_score is not None and score < last_score:
        moves |= {k: -np.sign(moves[k]) * max(abs(moves[k]) / 2, step / 10) for k in judged}
    lo, hi = bounds
    return {k: float(np.clip(c + moves[k], lo, hi)) if k in moving else c for k, c in prices.items()}, moves


def price_groups(marketplaces: dict) -> list[tuple[str, ...]]:
    """The platform's marketplaces that set one commission together, in turn: a mini-program that
    mirrors another of its marketplaces' listings (``listings_from``) moves with it."""
    groups: dict[str, list[str]] = {}
    for k, mc in marketplaces.items():
        source = mc.listings_from if mc.listings_from in marketplaces else k
        groups.setdefault(source, []).append(k)
    return [tuple(g) for g in groups.values()]


def flipped(policy: PlatformPolicy, name: str, wallets: list[str], configured: dict[str, tuple[str, ...]],
            guest: list[str] = ()) -> PlatformPolicy:
    """The record with one policy switched: exclusivity on/off, every wallet accepted or only the
    configured ones (``configured``: marketplace -> wallets), rival links open or closed, rival
    mini-programs approved or suspended (a host), its mini-programs in rivals' super-apps (``guest``)
    launched or withdrawn."""
    if name == "exclusivity":
        return policy.edit(exclusivity=not policy.exclusivity)
    if name == "payment_openness":
        if any(set(m.accepts) != set(wallets) for m in policy.marketplaces.values()):
            return policy.accepting_all(wallets)
        out = policy
        for k, accepts in configured.items():
            out = out.edit_marketplace(k, accepts=tuple(accepts))
        return out
    if name == "link_openness":
        return policy.edit(admits_rival_links=not policy.admits_rival_links)
    if name == "app_approval":
        return policy.edit(admits_rival_apps=not policy.admits_rival_apps)
    if name == "miniprogram_offer":
        out = policy
        for k in guest:
            out = out.edit_marketplace(k, launched=not policy.marketplaces[k].launched)
        return out
    raise ValueError(f"unknown strategic policy {name!r}; allowed: ['app_approval', 'exclusivity', 'link_openness', "
                     "'miniprogram_offer', 'payment_openness']")


def setting(policy: PlatformPolicy, name: str) -> tuple:
    """What a strategic policy ``name`` is set to in the record."""
    if name == "exclusivity":
        return (policy.exclusivity,)
    if name == "payment_openness":
        return tuple(sorted((k, tuple(sorted(m.accepts))) for k, m in policy.marketplaces.items()))
    if name == "link_openness":
        return (policy.admits_rival_links,)
    if name == "app_approval":
        return (policy.admits_rival_apps,)
    return tuple(sorted((k, m.launched) for k, m in policy.marketplaces.items()))


def mandated(policy: PlatformPolicy, name: str, wallets: list[str]) -> PlatformPolicy:
    """The record with a policy opened for good by an order or mandate (payments or links)."""
    policy = policy.edit(mandated=policy.mandated | {name})
    if name == "payment_openness":
        return policy.accepting_all(wallets)
    if name == "link_openness":
        return policy.edit(admits_rival_links=True)
    if name == "app_approval":
        return policy.edit(admits_rival_apps=True)
    return policy
