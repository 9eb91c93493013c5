"""The consumers' social graph: a directed small world, and counts of contacts with a property.

Counting, for every consumer, how many of its contacts hold each wallet or use each
marketplace is the model's most frequent operation (direct network effects, word of
mouth).  :func:`count_reference` is the plain definition; :meth:`SmallWorld.count` is the
fast kernel that ``tests/test_network.py`` checks against it.
"""

from __future__ import annotations

import numpy as np

from . import bits

# byte -> eight one-byte counters (bit j of the byte goes to byte j of a uint64), so adding
# the spread bytes of several contacts counts each of eight flags separately (little-endian)
_SPREAD = (np.arange(256)[:, None] >> np.arange(8) & 1).astype(np.uint8).view("<u8").ravel()
_ONE_GATHER = 1 << 16  # contact slots gathered at once at most (512 KB of counters)
BYTE_COUNTERS = 255  # one-byte counters hold at most this many contacts


def count_reference(flags: np.ndarray, contacts: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
    """[C, R]: for each consumer in ``rows`` (all if None), how many of its ``contacts`` [N, d]
    have each of the flags [C, N]."""
    c = contacts if rows is None else contacts[rows]
    return flags[:, c].sum(axis=2)


class SmallWorld:
    """Ring lattice of fixed out-degree with a share of edges rewired at random (Watts-Strogatz-like)."""

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

    def count(self, sets: np.ndarray, n_flags: int, rows: np.ndarray | None = None) -> np.ndarray:
        """[n] sets of ``n_flags`` flags (:mod:`model.bits`) -> [n_flags, n or len(rows)]: how many of
        each consumer's contacts have each flag.

        Fast kernel: each byte of the sets (eight flags) is spread into eight one-byte counters of
        a uint64 (a lookup table), and those words are gathered and added over the contact
        slots: one gather and one add per slot for eight flags at once.  Counters of one byte
        cannot hold more than 255 contacts; a larger degree takes the plain count instead."""
        if self.degree > BYTE_COUNTERS:
            return count_reference(bits.unpack(sets, n_flags), self.contacts, rows)
        slots = self.slots if rows is None else self.slots.take(rows, axis=1)
        out = np.empty((n_flags, slots.shape[1]), np.uint8)
        for lo, byte in zip(range(0, n_flags, 8), bits.byte_rows(sets, n_flags)):
            out[lo:lo + 8] = self._count_byte(byte, min(8, n_flags - lo), slots)
        return out

    @staticmethod
    def _count_byte(byte: np.ndarray, n_flags: int, slots: np.ndarray) -> np.ndarray:
        spread = _SPREAD.take(byte)  # [n] each consumer's flags, one byte counter each
        if slots.size <= _ONE_GATHER:  # small: one gather and one sum
            acc = spread.take(slots).sum(axis=0, dtype=np.uint64)
        else:  # slot by slot, so the gathered words stay in cache
            acc = spread.take(slots[0])
            for slot in slots[1:]:
                acc += spread.take(slot)
        return acc.view(np.uint8).reshape(-1, 8)[:, :n_flags].T
