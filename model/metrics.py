"""Outcome metrics computed once per tick from the populations' arrays.

Merchant reach is the share of consumers who can buy from a merchant: on one
of its marketplaces and holding a wallet accepted there.  With K <= 10
marketplaces a consumer's usable set is a K-bit mask, so reach for every
merchant is a lookup in a [2**K] table built from a histogram of consumer
masks, instead of an [N, M] comparison.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from .consumers import count_true, flag_counts
from .merchants import listed_on


def shares(x: np.ndarray) -> np.ndarray:
    """Normalise to shares summing to 1 (all zeros stay zeros)."""
    tot = x.sum()
    return x / tot if tot > 0 else np.zeros_like(x, dtype=float)


def hhi(s: np.ndarray) -> float:
    """Herfindahl-Hirschman index on the 0-10,000 scale."""
    return float(1e4 * np.sum(np.square(s)))


@lru_cache(maxsize=4)
def _meets(n_markets: int) -> np.ndarray:
    """[2**K, 2**K] float: does listing pattern P share a marketplace with consumer mask C."""
    patterns = np.arange(1 << n_markets)
    return ((patterns[:, None] & patterns[None, :]) != 0).astype(float)


def reach_table(consumer_masks: np.ndarray, n_markets: int) -> np.ndarray:
    """[2**K]: share of consumers whose usable mask meets each listing pattern."""
    hist = np.bincount(consumer_masks, minlength=1 << n_markets).astype(float)
    return _meets(n_markets) @ hist / max(consumer_masks.size, 1)


def table_percentiles(table: np.ndarray, index: np.ndarray, q) -> np.ndarray:
    """``np.percentile(table[index], q)`` (linear interpolation) from a histogram of ``index``:
    O(len(index)) with no sort, since the values take at most len(table) distinct levels."""
    order = np.argsort(table, kind="stable")
    cum = np.cumsum(np.bincount(index, minlength=len(table))[order])  # values ranked below each level
    h = (len(index) - 1) * np.asarray(q, float) / 100
    lo = np.floor(h)
    below = table[order][np.searchsorted(cum, lo, side="right")]
    above = table[order][np.searchsorted(cum, np.minimum(lo + 1, len(index) - 1), side="right")]
    return below + (h - lo) * (above - below)


def listing_masks(lists: np.ndarray) -> np.ndarray:
    """[M] bit mask of each merchant's marketplaces."""
    powers = (2.0 ** np.arange(lists.shape[1])).astype(np.float32)  # exact for K <= 24
    return (lists.astype(np.float32) @ powers).astype(np.int64)


def collect(model) -> dict[str, float]:
    """All per-tick metrics as a flat dict (keys stable for a scenario)."""
    mk, cons, mer, buy = model.market, model.consumers, model.merchants, model.last_purchases
    out: dict[str, float] = {}
    sv, sc = shares(buy.value), shares(buy.count)
    holders = flag_counts(cons.wallets_held) / cons.n
    for w, name in enumerate(mk.wallets):
        out[f"pay_share_value_{name}"] = float(sv[w])
        out[f"pay_share_count_{name}"] = float(sc[w])
        out[f"holds_{name}"] = float(holders[w])
    out["hhi_value"] = hhi(sv)
    out["hhi_count"] = hhi(sc)
    gshare = shares(buy.gmv)
    sellers = mer.lists.sum(axis=0) / mer.m
    for k, name in enumerate(mk.marketplaces):
        out[f"gmv_share_{name}"] = float(gshare[k])
        out[f"sellers_{name}"] = float(sellers[k])
        out[f"commission_{name}"] = float(mk.commission[k])
        out[f"retention_{name}"] = float(cons.retention[k] ** 12)  # annualised monthly retention
    out["hhi_marketplace"] = hhi(gshare)
    table = reach_table(buy.can_buy, mk.n_markets)
    patterns = listing_masks(mer.lists)
    out["reach_mean"] = float(table[patterns].mean())
    for q, value in zip((10, 50, 90), table_percentiles(table, patterns, (10, 50, 90))):
        out[f"reach_p{q}"] = float(value)
    # wallet reach: share of merchants a holder of w can pay with w (via an active channel)
    accepting = listed_on(mer.lists, mk.accepts & mk.active[:, None])  # [M, W]
    for w, name in enumerate(mk.wallets):
        out[f"wallet_reach_{name}"] = float(np.count_nonzero(accepting[:, w]) / mer.m)
    out["consumer_wallet_multihoming"] = np.count_nonzero(count_true(cons.wallets_held) >= 2) / cons.n
    out["consumer_market_multihoming"] = np.count_nonzero(count_true(cons.markets_used) >= 2) / cons.n
    out["merchant_multihoming"] = float(np.count_nonzero(mer.lists.astype(np.float32) @ mk.listable >= 2) / mer.m)
    out["merchant_exclusive_share"] = float(mer.exclusive.mean())
    out["merchant_throttled_share"] = float(mer.throttled(int(model.time), mk).mean())
    out["consumer_surplus"] = buy.surplus
    out["merchant_profit"] = float(mer.profit.sum() / model.unit / mer.m)  # per merchant, in units
    out["gmv"] = float(buy.gmv.sum() / cons.n)
    for p in model.platforms:
        out[f"revenue_{p.name}"] = p.revenue / cons.n
    out["platform_revenue"] = sum(p.revenue for p in model.platforms) / cons.n
    out["fines_total"] = model.regulator.fines_total / cons.n
    out["investigations_open"] = float(len(model.regulator.investigations))
    return out
