"""Helpers on [C, N] boolean flags (one row per marketplace or wallet, one column per consumer)."""

from __future__ import annotations

import numpy as np

_POWERS = 2 ** np.arange(24, dtype=np.float32)


def bitmask(flags: np.ndarray) -> np.ndarray:
    """[C, N] bool -> [N] int32 with bit j set where flags[j] is True (C <= 24).

    One float32 matrix-vector product: the powers of two add exactly below 2**24,
    and BLAS reads the flags once instead of shifting and or-ing row by row."""
    return (_POWERS[:flags.shape[0]] @ flags.astype(np.float32)).astype(np.int32)


def flag_counts(flags: np.ndarray) -> np.ndarray:
    """[C, N] bool -> [C] number of True in each row."""
    return np.array([np.count_nonzero(row) for row in flags], dtype=np.int64)


def count_true(flags: np.ndarray) -> np.ndarray:
    """[C, N] bool -> [N] number of True per consumer."""
    return flags.sum(axis=0, dtype=np.int8)
