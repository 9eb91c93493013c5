"""Sets of up to 64 flags stored as one unsigned integer per consumer (bit j: flag j).

Consumers' wallets held and marketplaces used are kept this way (the state of record): a
rule that needs the flags of some consumers unpacks them (:func:`unpack`), and counts over
everybody read the sets' bytes directly (:func:`flag_counts`, network contact counts).
"""

from __future__ import annotations

import numpy as np

_BYTE_BITS = (np.arange(256)[:, None] >> np.arange(8) & 1).astype(np.int64)  # [256, 8] bits of each byte


def set_dtype(n_flags: int) -> np.dtype:
    """The smallest unsigned integer type holding ``n_flags`` (at most 64) bits."""
    for dtype in (np.uint8, np.uint16, np.uint32, np.uint64):
        if n_flags <= 8 * np.dtype(dtype).itemsize:
            return np.dtype(dtype)
    raise ValueError(f"at most 64 flags fit in a set, got {n_flags}")


_POWERS = 2 ** np.arange(24, dtype=np.float32)


def pack(flags: np.ndarray, dtype: np.dtype | None = None) -> np.ndarray:
    """[C, R] bool -> [R] sets with bit j set where flags[j] is True.

    Up to 24 flags this is one float32 matrix-vector product with the powers of two (they add
    exactly below 2^24), which reads the flags once; beyond, a shift and an or per flag."""
    C = flags.shape[0]
    dtype = set_dtype(C) if dtype is None else np.dtype(dtype)
    if C <= 24:
        return (_POWERS[:C] @ flags.astype(np.float32)).astype(dtype)
    out = np.zeros(flags.shape[1], dtype)
    for j, row in enumerate(flags):
        out |= row.astype(dtype) << dtype.type(j)
    return out


def unpack(sets: np.ndarray, n_flags: int) -> np.ndarray:
    """[R] sets -> [n_flags, R] bool flags."""
    shifts = np.arange(n_flags, dtype=sets.dtype)[:, None]
    return ((sets[None, :] >> shifts) & sets.dtype.type(1)).astype(bool)


def byte_rows(sets: np.ndarray, n_flags: int) -> list[np.ndarray]:
    """The sets' bytes that hold ``n_flags`` flags: byte j holds flags 8j..8j+7 (little-endian)."""
    as_bytes = sets.view(np.uint8).reshape(len(sets), sets.dtype.itemsize)
    return [as_bytes[:, j] for j in range((n_flags + 7) // 8)]


def flag_counts(sets: np.ndarray, n_flags: int) -> np.ndarray:
    """[n_flags] how many sets hold each flag (one 256-bin histogram per byte)."""
    counts = [np.bincount(b, minlength=256) @ _BYTE_BITS for b in byte_rows(sets, n_flags)]
    return np.concatenate(counts)[:n_flags] if counts else np.zeros(0, np.int64)


def sizes(sets: np.ndarray) -> np.ndarray:
    """[R] number of flags in each set."""
    return np.bitwise_count(sets)


def histogram(values: np.ndarray, bound: int) -> tuple[np.ndarray, np.ndarray]:
    """(distinct values, how often each occurs) of non-negative integers ``values``; a bincount
    when they are below ``bound`` and the table is no larger than the data, a sort otherwise."""
    if values.size and bound <= max(4 * values.size, 1 << 12):
        counts = np.bincount(values.astype(np.intp), minlength=bound)
        present = np.flatnonzero(counts)
        return present.astype(values.dtype), counts[present]
    return np.unique(values, return_counts=True)


LANES = 8  # see group_sums


def lanes(n: int) -> np.ndarray:
    """[n] uint8 lane of each consumer for :func:`group_sums` (consumer index mod LANES)."""
    return (np.arange(n) % LANES).astype(np.uint8)


def group_sums(group: np.ndarray, n_groups: int, rows, lane: np.ndarray) -> np.ndarray:
    """[G, C] sums of ``rows`` (C arrays of N) over the consumers of each group (``group`` [N] in 0..G-1).

    A weighted bincount per row, with each group split over LANES bins by ``lane``: when most
    consumers share a few groups, consecutive adds then go to different bins instead of
    waiting on one another (see benchmarks/)."""
    key = group.astype(np.intp) * LANES + lane
    sums = np.zeros((len(rows), n_groups * LANES))
    for out, row in zip(sums, rows):
        out[:] = np.bincount(key, weights=row, minlength=n_groups * LANES)
    return sums.reshape(len(rows), n_groups, LANES).sum(axis=2).T
