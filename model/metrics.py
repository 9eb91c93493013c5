"""Outcome metrics computed once per tick from the populations' arrays (ODD section 4,
Observation); merchant reach is the rule of 7.10 (:mod:`model.rules.reach`).
"""

from __future__ import annotations

import mesa
import numpy as np

from . import bits
from .rules import reach

SHARE_LEVELS = (0.5, 0.9)  # payment value shares whose first time reached is a metric

#: per-agent values collected on request (``WalledGardens(agent_reporters=True)``); each is one
#: Python call per agent per tick, 5-7 microseconds an agent for the four: 105-165 ms a tick
#: at the default 20,000 consumers and 2,000 merchants, against 4-6 ms for the tick without them
#: (``benchmarks/bench_agent_reporters.py``: medians of 10 ticks, 6 repeats, 2 shared cores, 2026-12-03)
AGENT_REPORTERS = {
    "main_wallet": lambda a: getattr(a, "main_wallet", None),
    "marketplaces": lambda a: ",".join(a.marketplaces) if hasattr(a, "marketplaces") else None,
    "listings": lambda a: ",".join(a.listings) if hasattr(a, "listings") else None,
    "exclusive": lambda a: getattr(a, "exclusive", None),
}


class MetricsCollector(mesa.DataCollector):
    """Mesa's DataCollector with one model reporter per metric (``model.current[key]``).

    :func:`collect` computes every metric in one pass over the arrays, so a tick's
    row is appended straight from that dict: the values are plain floats and
    need neither a call nor a deep copy per reporter.
    """

    def __init__(self, keys, agent_reporters: bool = False):
        reporters = {"seed": lambda m: m.seed} | {key: (lambda m, key=key: m.current[key]) for key in keys}
        super().__init__(model_reporters=reporters, agent_reporters=AGENT_REPORTERS if agent_reporters else None)
        self._with_agents = agent_reporters

    def collect(self, model) -> None:
        if self._with_agents:  # Mesa's own collection: model and agent reporters
            super().collect(model)
            return
        self._collection_steps.append(model.time)
        self.model_vars["seed"].append(model.seed)  # so each row of mesa.batch_run names its run's seed
        for key, values in self.model_vars.items():
            if key != "seed":
                values.append(model.current[key])


class NonFiniteMetric(ArithmeticError):
    """A metric came out NaN or infinite: the parameters drove the arithmetic out of range."""


def shares(x: np.ndarray) -> np.ndarray:
    """Normalise to shares summing to 1 (all zeros stay zeros; a non-finite total stays non-finite,
    so that it is reported, not read as a share of 0)."""
    tot = x.sum()
    if not np.isfinite(tot):
        return np.full(x.shape, np.nan)
    return x / tot if tot > 0 else np.zeros_like(x, dtype=float)


def check_finite(row: dict[str, float], tick: int) -> None:
    """Raise :class:`NonFiniteMetric` naming the first metric of ``row`` that is NaN or infinite."""
    for key, value in row.items():
        if not np.isfinite(value):
            raise NonFiniteMetric(f"tick {tick}: metric {key!r} is {value} (not finite); the parameters put "
                                  "the model's arithmetic out of range")


def hhi(s: np.ndarray) -> float:
    """Herfindahl-Hirschman index on the 0-10,000 scale."""
    return float(1e4 * (s @ s))


def cross_alliance(lists: np.ndarray, market) -> float:
    """Share of merchants listed with two or more alliances (what "choose one of two" forbids);
    ``lists`` [M, K], mirrors not counted."""
    groups = np.eye(len(market.groups), dtype=np.float64)[market.market_group]  # [K, G]
    per_group = (lists & market.listable[None, :]).astype(np.float64) @ groups  # [M, G] listings by alliance
    return float(np.count_nonzero((per_group > 0).sum(axis=1) >= 2) / max(len(lists), 1))


def collect(model) -> dict[str, float]:
    """All per-tick metrics as a flat dict (keys stable for a scenario)."""
    mk, cons, mer, buy = model.market, model.consumers, model.merchants, model.last_purchases
    out: dict[str, float] = {}
    sv, sc = shares(buy.value), shares(buy.count)
    holders = (bits.flag_counts(cons.held, mk.n_wallets) / cons.n).tolist()
    transfers = (buy.value - buy.commerce_value) / cons.n  # [W] peer transfers, per consumer
    for w, (name, value, count, held) in enumerate(zip(mk.wallets, sv.tolist(), sc.tolist(), holders)):
        out[f"pay_share_value_{name}"] = value
        out[f"pay_share_count_{name}"] = count
        out[f"holds_{name}"] = held
        # the value paid, by kind: sources that measure another scope are read from these (model.calibrate)
        out[f"pay_value_commerce_{name}"] = float(buy.commerce_value[w] / cons.n)
        out[f"pay_value_transfers_{name}"] = float(transfers[w])
        for level in SHARE_LEVELS:  # months until the share first reached the level (-1: not yet)
            key = f"time_to_share_{name}_{level:g}"
            if value >= level:
                model.first_reached.setdefault(key, int(model.time))
            out[key] = float(model.first_reached.get(key, -1))
    out["hhi_value"] = hhi(sv)
    out["hhi_count"] = hhi(sc)
    gshare = shares(buy.gmv)
    buyers = bits.flag_counts(buy.can_buy, mk.n_markets) / cons.n  # [K] share of consumers who can buy there
    retention = cons.retention ** 12  # annualised monthly retention
    for name, g, sellers, commission, kept, buying in zip(mk.marketplaces, gshare.tolist(),
                                                          (mer.counts / mer.m).tolist(), mk.commission.tolist(),
                                                          retention.tolist(), buyers.tolist()):
        out[f"gmv_share_{name}"] = g
        out[f"buyers_{name}"] = buying
        out[f"sellers_{name}"] = sellers
        out[f"commission_{name}"] = commission
        out[f"retention_{name}"] = kept
    out["hhi_marketplace"] = hhi(gshare)
    patterns, levels, merchants = reach.by_pattern(buy.can_buy, mer.pattern, mk.n_markets)
    out["reach_mean"] = float(merchants @ levels / mer.m)
    out["reach_p10"], out["reach_p50"], out["reach_p90"] = reach.level_percentiles(
        levels, merchants, (10, 50, 90)).tolist()
    # wallet reach: share of merchants a holder of w can pay with w (via an active channel)
    pays_with = (bits.unpack(patterns, mk.n_markets).T & mk.active) @ mk.accepts  # [listing sets, W]
    for name, value in zip(mk.wallets, (merchants @ (pays_with > 0) / mer.m).tolist()):
        out[f"wallet_reach_{name}"] = value
    out["consumer_wallet_multihoming"] = np.count_nonzero(bits.sizes(cons.held) >= 2) / cons.n
    out["consumer_market_multihoming"] = np.count_nonzero(bits.sizes(cons.used) >= 2) / cons.n
    out["merchant_multihoming"] = np.count_nonzero(mer.n_listings >= 2) / mer.m
    out["merchant_cross_alliance"] = cross_alliance(mer.lists, mk)
    out["merchant_exclusive_share"] = np.count_nonzero(mer.exclusive) / mer.m
    out["merchant_throttled_share"] = np.count_nonzero(mer.throttled(int(model.time), mk)) / mer.m
    out["consumer_surplus"] = buy.surplus
    out["merchant_profit"] = mer.profit_total / model.unit / mer.m  # per merchant, in units
    loss, under = mer.losses(mk)
    out["merchant_loss_share"] = np.count_nonzero(loss) / mer.m
    out["merchant_loss_fees_share"] = np.count_nonzero(under) / mer.m  # ... listed where fees exceed their margin
    out["gmv"] = float(buy.gmv.sum() / cons.n)
    tick, wallets = int(model.time), set(mk.wallets)
    for p in model.platforms:  # the policies in force, 1 or 0 (outcomes can split into regimes by them)
        if p.cfg.marketplaces:
            out[f"exclusivity_{p.name}"] = float(p.exclusivity_in_force)
            out[f"open_payments_{p.name}"] = float(all(set(m.accepts) >= wallets for m in p.policy.marketplaces.values()))
        if p.cfg.social:
            out[f"open_links_{p.name}"] = float(p.admits_rival_links)
            out[f"open_apps_{p.name}"] = float(p.admits_rival_apps)
    for p in model.platforms:
        out[f"revenue_{p.name}"] = p.revenue / cons.n
        out[f"expected_fine_{p.name}"] = p.expected_fine / cons.n  # this tick's, as the platform weighs it
        out[f"fines_{p.name}"] = p.fines / cons.n  # paid so far
    out["platform_revenue"] = sum(p.revenue for p in model.platforms) / cons.n
    out["fines_total"] = model.regulator.fines_total / cons.n
    out["investigations_open"] = float(len(model.regulator.investigations))
    return out
