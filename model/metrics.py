"""Outcome metrics computed once per tick from the populations' arrays.

Merchant reach is the share of consumers who can buy from a merchant: on one
of its marketplaces and holding a wallet accepted there.  With K <= 10
marketplaces a consumer's usable set is a K-bit mask, so reach for every
merchant is a lookup in a [2**K] table built from a histogram of consumer
masks, instead of an [N, M] comparison.
"""

from __future__ import annotations

from functools import lru_cache

import mesa
import numpy as np

from .bits import flag_counts


class MetricsCollector(mesa.DataCollector):
    """Mesa's DataCollector with one model reporter per metric (``model.current[key]``).

    :func:`collect` computes every metric in one pass over the arrays, so a tick's
    row is appended straight from that dict: the values are plain floats and
    need neither a call nor a deep copy per reporter.
    """

    def __init__(self, keys):
        super().__init__(model_reporters={key: (lambda m, key=key: m.current[key]) for key in keys})

    def collect(self, model) -> None:
        self._collection_steps.append(model.time)
        for key, values in self.model_vars.items():
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


@lru_cache(maxsize=4)
def _meets(n_markets: int) -> np.ndarray:
    """[2**K, 2**K] float: does listing pattern P share a marketplace with consumer mask C."""
    patterns = np.arange(1 << n_markets)
    return ((patterns[:, None] & patterns[None, :]) != 0).astype(float)


def reach_table(consumer_masks: np.ndarray, n_markets: int) -> np.ndarray:
    """[2**K]: share of consumers whose usable mask meets each listing pattern."""
    hist = np.bincount(consumer_masks, minlength=1 << n_markets).astype(float)
    return _meets(n_markets) @ hist / max(consumer_masks.size, 1)


def level_percentiles(levels: np.ndarray, counts: np.ndarray, q) -> np.ndarray:
    """``np.percentile(np.repeat(levels, counts), q)`` (linear interpolation) without expanding:
    ``counts[j]`` items take the value ``levels[j]`` (reach takes at most 2**K levels)."""
    order = np.argsort(levels, kind="stable")
    ranked, cum = levels[order], np.cumsum(counts[order])  # items up to each level
    n = cum[-1]
    h = (n - 1) * np.asarray(q, float) / 100
    lo = np.floor(h)
    below, above = ranked.take(np.searchsorted(cum, [lo, np.minimum(lo + 1, n - 1)], side="right"))
    return below + (h - lo) * (above - below)


def collect(model) -> dict[str, float]:
    """All per-tick metrics as a flat dict (keys stable for a scenario)."""
    mk, cons, mer, buy = model.market, model.consumers, model.merchants, model.last_purchases
    out: dict[str, float] = {}
    sv, sc = shares(buy.value), shares(buy.count)
    holders = (flag_counts(cons.wallets_held) / cons.n).tolist()
    for name, value, count, held in zip(mk.wallets, sv.tolist(), sc.tolist(), holders):
        out[f"pay_share_value_{name}"] = value
        out[f"pay_share_count_{name}"] = count
        out[f"holds_{name}"] = held
    out["hhi_value"] = hhi(sv)
    out["hhi_count"] = hhi(sc)
    gshare = shares(buy.gmv)
    retention = cons.retention ** 12  # annualised monthly retention
    for name, g, sellers, commission, kept in zip(mk.marketplaces, gshare.tolist(), (mer.counts / mer.m).tolist(),
                                                  mk.commission.tolist(), retention.tolist()):
        out[f"gmv_share_{name}"] = g
        out[f"sellers_{name}"] = sellers
        out[f"commission_{name}"] = commission
        out[f"retention_{name}"] = kept
    out["hhi_marketplace"] = hhi(gshare)
    table = reach_table(buy.can_buy, mk.n_markets)
    merchants_by_pattern = np.bincount(mer.pattern, minlength=len(table))
    out["reach_mean"] = float(merchants_by_pattern @ table / mer.m)
    out["reach_p10"], out["reach_p50"], out["reach_p90"] = level_percentiles(
        table, merchants_by_pattern, (10, 50, 90)).tolist()
    # wallet reach: share of merchants a holder of w can pay with w (via an active channel)
    accepting = merchants_by_pattern @ mer.pattern_terms(mk).pays_with / mer.m  # [W]
    for name, value in zip(mk.wallets, accepting.tolist()):
        out[f"wallet_reach_{name}"] = value
    held, used = cons.held_bits, cons.used_bits  # a mask with two bits or more stays nonzero without its lowest
    out["consumer_wallet_multihoming"] = np.count_nonzero(held & (held - 1)) / cons.n
    out["consumer_market_multihoming"] = np.count_nonzero(used & (used - 1)) / cons.n
    out["merchant_multihoming"] = np.count_nonzero(mer.n_listings >= 2) / mer.m
    out["merchant_exclusive_share"] = np.count_nonzero(mer.exclusive) / mer.m
    out["merchant_throttled_share"] = np.count_nonzero(mer.throttled(int(model.time), mk)) / mer.m
    out["consumer_surplus"] = buy.surplus
    out["merchant_profit"] = mer.profit_total / model.unit / mer.m  # per merchant, in units
    out["gmv"] = float(buy.gmv.sum() / cons.n)
    for p in model.platforms:
        out[f"revenue_{p.name}"] = p.revenue / cons.n
    out["platform_revenue"] = sum(p.revenue for p in model.platforms) / cons.n
    out["fines_total"] = model.regulator.fines_total / cons.n
    out["investigations_open"] = float(len(model.regulator.investigations))
    return out
