"""The consumers' social graph: a directed small world with fast neighbour counts."""

from __future__ import annotations

import numpy as np
from scipy import sparse


class SmallWorld:
    """Ring lattice of fixed out-degree with a share of edges rewired at random (Watts-Strogatz-like).

    ``contacts`` is the [n, degree] index array.  Counting a property over every
    consumer's contacts is the hot operation of the model, so :meth:`count`
    exploits the structure: the lattice part is ``degree`` shifted adds of the
    whole array, and only the rewired edges go through a sparse correction.
    """

    def __init__(self, n: int, degree: int, rng: np.random.Generator, rewire: float = 0.1):
        half = np.arange(1, degree // 2 + 1)
        self.offsets = np.concatenate([half, -half, [degree // 2 + 1] * (degree % 2)])[:degree]
        contacts = (np.arange(n)[:, None] + self.offsets[None, :]) % n
        mask = rng.random(contacts.shape) < rewire
        rows, slots = np.nonzero(mask)
        lattice = contacts[rows, slots]
        contacts[mask] = rng.integers(0, n, mask.sum())
        self.n, self.degree = n, degree
        self.contacts = contacts.astype(np.int32)
        ones = np.ones(rows.size, np.int8)
        self.correction = (sparse.csr_matrix((ones, (rows, contacts[rows, slots])), shape=(n, n))
                           - sparse.csr_matrix((ones, (rows, lattice)), shape=(n, n)))

    def count(self, x: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
        """[n, C] bool -> [n or len(rows), C] int8: how many of each consumer's contacts have each flag."""
        xi = x.view(np.uint8) if x.dtype == bool else x.astype(np.uint8)
        n = self.n
        if np.abs(self.offsets).max() >= n:  # tiny populations: plain gather
            sel = slice(None) if rows is None else rows
            return xi[self.contacts[sel]].sum(axis=1, dtype=np.int8)
        # lattice part: shifted adds of the whole array (cheaper than gathering rows)
        acc = np.zeros(xi.shape, np.int8)
        for o in (int(v) for v in self.offsets):
            if o >= 0:
                acc[: n - o] += xi[o:]
                acc[n - o:] += xi[:o]
            else:
                acc[-o:] += xi[: n + o]
                acc[:-o] += xi[n + o:]
        # rewired edges: sparse correction, only for the rows asked for
        if rows is None:
            return acc + (self.correction @ xi.astype(np.int8)).astype(np.int8)
        return acc[rows] + (self.correction[rows] @ xi.astype(np.int8)).astype(np.int8)

    def mean(self, x: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
        """Share of each consumer's contacts (all, or only ``rows``) with each flag, float32."""
        return self.count(x, rows) * np.float32(1.0 / self.degree)
