"""The consumers' social graph: a directed small world with fast neighbour counts."""

from __future__ import annotations

import numpy as np

from .bits import bitmask

# byte -> eight one-byte counters (bit j of the byte goes to byte j of a uint64), so adding
# the spread bytes of several contacts counts each flag separately (little-endian layout)
_SPREAD = (np.arange(256)[:, None] >> np.arange(8) & 1).astype(np.uint8).view("<u8").ravel()
_ONE_GATHER = 1 << 16  # contact slots gathered at once at most (512 KB of counters)


class SmallWorld:
    """Ring lattice of fixed out-degree with a share of edges rewired at random (Watts-Strogatz-like).

    Counting a property over every consumer's contacts is the hot operation of
    the model, so :meth:`count_bits` takes up to eight flags of each consumer as a
    bit mask, spreads each bit into its own byte counter of a uint64 (a lookup
    table), then gathers and adds those words over the contact slots: one gather
    and one add per slot, for all flags at once.
    """

    def __init__(self, n: int, degree: int, rng: np.random.Generator, rewire: float = 0.1):
        half = np.arange(1, degree // 2 + 1)
        self.offsets = np.concatenate([half, -half, [degree // 2 + 1] * (degree % 2)])[:degree]
        contacts = (np.arange(n)[:, None] + self.offsets[None, :]) % n
        mask = rng.random(contacts.shape) < rewire
        contacts[mask] = rng.integers(0, n, mask.sum())
        self.n, self.degree = n, degree
        self.slots = np.ascontiguousarray(contacts.T, dtype=np.int32)  # [degree, n]: slot j of everyone

    @property
    def contacts(self) -> np.ndarray:
        """[n, degree] indices of each consumer's contacts."""
        return self.slots.T

    def count(self, flags: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
        """[C, n] bool -> [C, n or len(rows)] uint8: how many of each consumer's contacts have each flag."""
        return self.count_bits(bitmask(flags), flags.shape[0], rows)

    def count_bits(self, bits: np.ndarray, n_flags: int, rows: np.ndarray | None = None) -> np.ndarray:
        """[n] bit masks of ``n_flags`` flags -> [n_flags, n or len(rows)] uint8 counts over contacts
        (for state the caller already keeps as bit masks); eight flags at a time."""
        slots = self.slots if rows is None else self.slots.take(rows, axis=1)
        if n_flags > 8:
            out = np.empty((n_flags, slots.shape[1]), np.uint8)
            for lo in range(0, n_flags, 8):
                out[lo:lo + 8] = self._count_byte((bits >> lo) & 0xFF, min(8, n_flags - lo), slots)
            return out
        return self._count_byte(bits, n_flags, slots)

    @staticmethod
    def _count_byte(bits: np.ndarray, n_flags: int, slots: np.ndarray) -> np.ndarray:
        spread = _SPREAD.take(bits)  # [n] each consumer's flags, one byte counter each
        if slots.size <= _ONE_GATHER:  # small: one gather and one sum
            acc = spread.take(slots).sum(axis=0, dtype=np.uint64)
        else:  # slot by slot, so the gathered words stay in cache
            acc = spread.take(slots[0])
            for slot in slots[1:]:
                acc += spread.take(slot)
        return acc.view(np.uint8).reshape(-1, 8)[:, :n_flags].T
