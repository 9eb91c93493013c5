"""Helpers on [C, N] boolean flags (one row per marketplace or wallet, one column per consumer)."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

_POWERS = 2 ** np.arange(24, dtype=np.float32)


def bitmask(flags: np.ndarray) -> np.ndarray:
    """[C, N] bool -> [N] int32 with bit j set where flags[j] is True (C <= 24).

    One float32 matrix-vector product: the powers of two add exactly below 2**24,
    and BLAS reads the flags once instead of shifting and or-ing row by row."""
    return (_POWERS[:flags.shape[0]] @ flags.astype(np.float32)).astype(np.int32)


@lru_cache(maxsize=8)
def bits_of(n_bits: int) -> np.ndarray:
    """[2**n_bits, n_bits] int64: bit j of each mask (every subset of n_bits flags, one per row)."""
    out = np.arange(1 << n_bits)[:, None] >> np.arange(n_bits) & 1
    out.flags.writeable = False  # shared by every caller
    return out


def bit_counts(masks: np.ndarray, n_bits: int) -> np.ndarray:
    """[n_bits] int64: how many of ``masks`` have each bit set (from their histogram)."""
    return np.bincount(masks, minlength=1 << n_bits) @ bits_of(n_bits)


def flag_counts(flags: np.ndarray) -> np.ndarray:
    """[C, N] bool -> [C] number of True in each row."""
    return np.array([np.count_nonzero(row) for row in flags], dtype=np.int64)


LANES = 8  # see group_sums


def lanes(n: int) -> np.ndarray:
    """[n] uint8 lane of each consumer for :func:`group_sums` (consumer index mod LANES)."""
    return (np.arange(n) % LANES).astype(np.uint8)


def group_sums(group: np.ndarray, n_groups: int, rows, lane: np.ndarray) -> np.ndarray:
    """[G, C] sums of ``rows`` (C arrays of N) over the consumers of each group (``group`` [N] in 0..G-1).

    A weighted bincount per row, with each group split over LANES bins by ``lane``: when most
    consumers share a few groups, consecutive adds then go to different bins instead of
    waiting on one another, which halves the time."""
    key = group.astype(np.intp) * LANES + lane
    sums = np.zeros((len(rows), n_groups * LANES))
    for out, row in zip(sums, rows):
        out[:] = np.bincount(key, weights=row, minlength=n_groups * LANES)
    return sums.reshape(len(rows), n_groups, LANES).sum(axis=2).T
