"""7.10 Merchant reach: the share of consumers who can buy from a merchant.

reach_m = (1 / N) #{consumers i who can buy on at least one marketplace m lists on}

(i can buy on k if it uses k, k is reachable, a held wallet is accepted there and k has
sellers).  :func:`reference` compares every consumer with every merchant.  :func:`by_pattern`,
the kernel, reads each side's marketplace set as one integer (:mod:`model.bits`) and compares only the
distinct masks of each side, which are few: at most 2^K, and at most N and M.
"""

from __future__ import annotations

import numpy as np

from .. import bits


def reference(can_buy: np.ndarray, lists: np.ndarray) -> np.ndarray:
    """[M] reach of each merchant: can_buy [N, K] bool, lists [M, K] bool."""
    return (can_buy.astype(np.int64) @ lists.T.astype(np.int64) > 0).mean(axis=0)


def by_pattern(consumer_masks: np.ndarray, merchant_masks: np.ndarray, n_markets: int
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(merchant sets present, reach of each, merchants with each) from the [N] and [M] sets."""
    bound = 1 << n_markets
    cmask, ccount = bits.histogram(consumer_masks, bound)
    mmask, mcount = bits.histogram(merchant_masks, bound)
    meets = (cmask[:, None] & mmask[None, :]) != 0  # [consumer sets, merchant sets] share a marketplace
    reach = ccount.astype(float) @ meets / max(consumer_masks.size, 1)
    return mmask, reach, mcount


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
