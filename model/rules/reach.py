"""7.10 Merchant reach: the share of consumers who can buy from a merchant.

reach_m = (1 / N) #{consumers i who can buy on at least one marketplace m lists on}

(i can buy on k if it uses k, k is reachable, a held wallet is accepted there and k has
sellers).  :func:`reference` compares every consumer with every merchant.  :func:`by_pattern`,
the kernel, works on the distinct listing sets of merchants (at most M, and 2^K) and, of two
exact ways, takes the cheaper: comparing them with the distinct consumer sets when both are few,
or intersecting, for each listing set, the bitsets of the consumers who cannot buy on each of
its marketplaces (N / 64 words per marketplace listed).
"""

from __future__ import annotations

import numpy as np

from .. import bits


def reference(can_buy: np.ndarray, lists: np.ndarray) -> np.ndarray:
    """[M] reach of each merchant: can_buy [N, K] bool, lists [M, K] bool."""
    return (can_buy.astype(np.int64) @ lists.T.astype(np.int64) > 0).mean(axis=0)


def by_pattern(consumer_sets: np.ndarray, merchant_sets: np.ndarray, n_markets: int
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(merchant sets present, reach of each, merchants with each) from the [N] and [M] sets."""
    n, bound = max(consumer_sets.size, 1), 1 << n_markets
    mset, mcount = bits.histogram(merchant_sets, bound)
    bitset_cost = (n / 64) * (int(np.bitwise_count(mset).sum()) + len(mset))
    if bound <= max(4 * n, 1 << 12):  # the consumer sets' histogram is one bincount
        cset, ccount = bits.histogram(consumer_sets, bound)
        if len(cset) * len(mset) <= 4 * bitset_cost:
            meets = (cset[:, None] & mset[None, :]) != 0  # [consumer sets, merchant sets] share a marketplace
            return mset, ccount.astype(float) @ meets / n, mcount
    return mset, _by_avoiders(consumer_sets, mset, n_markets), mcount


CHUNK_BYTES = 1 << 24  # bitsets gathered at once, at most


def _by_avoiders(consumer_sets: np.ndarray, mset: np.ndarray, n_markets: int) -> np.ndarray:
    """Reach of each listing set from bitsets over consumers: 1 - (consumers who can buy on none of its
    marketplaces) / N, the AND of its marketplaces' non-buyer bitsets (sets of one size at a time)."""
    n = consumer_sets.size
    words = (n + 63) // 64
    cannot = np.zeros((n_markets, words * 8), np.uint8)  # [K, N bits] consumers who cannot buy on k
    cannot[:, :(n + 7) // 8] = np.packbits(~bits.unpack(consumer_sets, n_markets), axis=1, bitorder="little")
    cannot = cannot.view(np.uint64)
    member = bits.unpack(mset, n_markets).T  # [sets, K]
    size = member.sum(axis=1)
    avoiders = np.full(len(mset), n, np.int64)  # the empty set: everyone avoids it
    for s in np.unique(size[size > 0]):
        of_size = np.flatnonzero(size == s)
        chunk = max(1, CHUNK_BYTES // (8 * words * s))  # sets at a time: their gathered bitsets stay small
        for lo in range(0, len(of_size), chunk):
            rows = of_size[lo:lo + chunk]
            listed = np.nonzero(member[rows])[1].reshape(len(rows), s)  # [sets, s] their marketplaces
            both = np.bitwise_and.reduce(cannot[listed], axis=1)
            avoiders[rows] = np.bitwise_count(both).sum(axis=1, dtype=np.int64)
    return (n - avoiders) / n


def level_percentiles(levels: np.ndarray, counts: np.ndarray, q) -> np.ndarray:
    """``np.percentile(np.repeat(levels, counts), q)`` (linear interpolation) without expanding:
    ``counts[j]`` items take the value ``levels[j]``."""
    order = np.argsort(levels, kind="stable")
    ranked, cum = levels[order], np.cumsum(counts[order])  # items up to each level
    n = cum[-1]
    h = (n - 1) * np.asarray(q, float) / 100
    lo = np.floor(h)
    below, above = ranked.take(np.searchsorted(cum, [lo, np.minimum(lo + 1, n - 1)], side="right"))
    return below + (h - lo) * (above - below)
