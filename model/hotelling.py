"""The Hotelling line of the docking restrictions (Armstrong 2006): agents' positions and
marketplaces' locations on [0, 1].

Marketplaces sit at evenly spaced points in config order (k / (K - 1); one marketplace at 0).
Agents are spread uniformly by jittered strata, one agent in each of n equal cells in random
order, so that the density of agents along the line is exact to 1/n (a plain uniform sample
leaves density noise of order n^(-1/2), which would blur the demand slopes a docking test
measures)."""

from __future__ import annotations

import numpy as np


def locations(n_markets: int) -> np.ndarray:
    """[K] the marketplaces' points on the line."""
    return np.arange(n_markets) / max(n_markets - 1, 1)


def positions(n: int, rng: np.random.Generator) -> np.ndarray:
    """[n] agents' points on [0, 1]: one uniform draw in each cell [j / n, (j + 1) / n), cells in random order."""
    return (rng.permutation(n) + rng.random(n)) / n


def distances(position: np.ndarray, n_markets: int) -> np.ndarray:
    """[K, n] each agent's distance to each marketplace."""
    return np.abs(position[None, :] - locations(n_markets)[:, None])
