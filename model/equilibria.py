"""Equilibria of an empirical game, from replicated payoffs.

``U`` is an array [R, n_1, ..., n_N, N]: replication r's payoff of player i at the profile
(s_1, ..., s_N).  Replication r of every profile runs with the same seed (common random
numbers), so the payoff differences that decide best responses are paired by replication.

* **Regret** of a profile: the most any one player gains by switching alone, at the mean
  payoffs (0 at a pure Nash equilibrium).  A 95% interval and ``p_nash`` (the share of
  bootstrap resamples of the replications in which the profile is an equilibrium) come
  from resampling replications.
* **Noise**: every unilateral deviation's gain has a paired Student-t 95% interval.  A
  profile whose equilibrium status turns on a gain whose interval contains 0 is "within
  noise", not read as a preference.  Deviations that change nothing (exactly equal payoffs
  in every replication, e.g. approving a mini-program nobody offers) are ties, not noise.
* **Mixed equilibria** of two-player games: nashpy's support enumeration on the mean payoffs,
  after iterated elimination of strictly dominated strategies (which no equilibrium plays).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from scipy.special import stdtrit  # the t quantile; scipy.stats takes seconds to import

TIE = 1e-12  # relative size of a payoff difference that counts as exactly zero
MIXED_SUPPORT_LIMIT = 2**20  # support pairs beyond which support enumeration is not attempted
STATUS = {
    "strict": "equilibrium: every deviation loses beyond noise",
    "weak": "equilibrium: every deviation loses beyond noise or changes nothing (an exact tie)",
    "within noise": "the equilibrium status turns on a payoff difference within its confidence interval",
    "not nash": "some player gains beyond noise by deviating",
}


def mean_ci(x: np.ndarray, axis: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(mean, lo, hi): 95% Student-t interval of the mean along ``axis`` (nan bounds with one value)."""
    x = np.asarray(x, float)
    n = x.shape[axis]
    m = x.mean(axis=axis)
    if n < 2:
        nan = np.full_like(m, np.nan)
        return m, nan, nan
    half = stdtrit(n - 1, 0.975) * x.std(axis=axis, ddof=1) / np.sqrt(n)
    return m, m - half, m + half


def deviation_gains(U: np.ndarray) -> list[np.ndarray]:
    """Per player i, [R, n_1, ..., n_N, n_i]: i's gain from switching to each of its strategies."""
    N = U.shape[-1]
    out = []
    for i in range(N):
        Ui = U[..., i]
        alt = np.expand_dims(np.moveaxis(Ui, 1 + i, -1), 1 + i)
        out.append(alt - Ui[..., None])
    return out


def regret(means: np.ndarray) -> np.ndarray:
    """[B, n_1, ..., n_N] regret of every profile for each of B payoff arrays [B, n_1, ..., n_N, N]."""
    return np.max([g.max(axis=-1) for g in deviation_gains(means)], axis=0)


@dataclass
class Deviations:
    """Every profile's equilibrium evidence (arrays over profiles, shape n_1 x ... x n_N)."""

    regret: np.ndarray
    regret_lo: np.ndarray
    regret_hi: np.ndarray
    p_nash: np.ndarray
    nash: np.ndarray  # pure Nash equilibrium at the mean payoffs
    status: np.ndarray  # a key of STATUS
    best_player: np.ndarray  # the deviation with the largest mean gain: player index ...
    best_strategy: np.ndarray  # ... and the strategy it switches to (-1: no player has an alternative)
    gain: np.ndarray  # its mean gain and 95% interval
    gain_lo: np.ndarray
    gain_hi: np.ndarray
    ties: bool = False  # some deviation changes nothing: the game is degenerate


def bootstrap_means(U: np.ndarray, draws: int, rng: np.random.Generator) -> np.ndarray:
    """[B, n_1, ..., n_N, N] mean payoffs of ``draws`` resamples of the replications."""
    R = U.shape[0]
    weights = rng.multinomial(R, np.full(R, 1.0 / R), size=draws) / R  # [B, R]
    return np.tensordot(weights, U, axes=(1, 0))


def analyse(U: np.ndarray, rng: np.random.Generator, draws: int = 1000) -> Deviations:
    """Regret, its bootstrap interval, p_nash and the noise status of every pure profile."""
    U = np.asarray(U, float)
    shape, N = U.shape[1:-1], U.shape[-1]
    tol = TIE * max(float(np.abs(U).max()), 1e-300)
    means = U.mean(axis=0, keepdims=True)
    reg = np.maximum(regret(means)[0], 0.0)
    boot = regret(bootstrap_means(U, draws, rng))
    lo, hi = np.percentile(boot, [2.5, 97.5], axis=0)
    p_nash = (boot <= tol).mean(axis=0)
    nash = reg <= tol
    gains = deviation_gains(U)
    status = np.empty(shape, object)
    best_p, best_s = np.full(shape, -1), np.full(shape, -1)
    g_m, g_lo, g_hi = (np.full(shape, np.nan) for _ in range(3))
    ties = False
    for prof in np.ndindex(*shape):
        no_gain = worse_or_tie = True
        best = None
        for i in range(N):
            for a in range(U.shape[1 + i]):
                if a == prof[i]:
                    continue
                d = gains[i][(slice(None), *prof, a)]
                m, l, h = mean_ci(d)
                tie = bool(np.all(np.abs(d) <= tol))
                ties |= tie
                if best is None or m > best[0]:
                    best = (float(m), float(l), float(h), i, a)
                if not tie and not (h < 0):  # nan bounds (one replication) are never beyond noise
                    worse_or_tie = False
                if l > 0:
                    no_gain = False
        if best is not None:
            g_m[prof], g_lo[prof], g_hi[prof], best_p[prof], best_s[prof] = best
        if not no_gain:
            status[prof] = "not nash"
        elif nash[prof] and worse_or_tie:
            status[prof] = "weak" if _has_tie(gains, prof, tol) else "strict"
        else:
            status[prof] = "within noise"
    return Deviations(reg, lo, hi, p_nash, nash, status, best_p, best_s, g_m, g_lo, g_hi, ties)


def _has_tie(gains: list[np.ndarray], prof: tuple, tol: float) -> bool:
    return any(np.all(np.abs(gains[i][(slice(None), *prof, a)]) <= tol)
               for i in range(len(gains)) for a in range(gains[i].shape[-1]) if a != prof[i])


# --------------------------------------------------------------------------- mixed (two players)
def undominated(A: np.ndarray, B: np.ndarray) -> tuple[list[int], list[int]]:
    """Rows and columns left by iterated elimination of strategies strictly dominated by a pure one."""
    rows, cols = list(range(A.shape[0])), list(range(A.shape[1]))
    changed = True
    while changed:
        changed = False
        for r in list(rows):
            if any(np.all(A[o, cols] > A[r, cols]) for o in rows if o != r):
                rows.remove(r)
                changed = True
        for c in list(cols):
            if any(np.all(B[rows, o] > B[rows, c]) for o in cols if o != c):
                cols.remove(c)
                changed = True
    return rows, cols


def mixed_equilibria(A: np.ndarray, B: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]] | None:
    """Nash equilibria (x, y) of the bimatrix game (A, B) in which some player mixes, by nashpy's
    support enumeration on the undominated strategies; None if the game is too large for it."""
    import nashpy

    rows, cols = undominated(A, B)
    if 2.0 ** (len(rows) + len(cols)) > MIXED_SUPPORT_LIMIT:
        return None
    sa, sb = _scale(A[np.ix_(rows, cols)]), _scale(B[np.ix_(rows, cols)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # nashpy's note on degenerate games (ties)
        found = list(nashpy.Game(sa, sb).support_enumeration())
    out, seen = [], set()
    for xr, yc in found:
        x, y = np.zeros(A.shape[0]), np.zeros(A.shape[1])
        x[rows], y[cols] = xr, yc
        x, y = np.clip(x, 0, None), np.clip(y, 0, None)
        x, y = x / x.sum(), y / y.sum()
        key = tuple(np.round(np.concatenate([x, y]), 9))
        if key in seen or (np.count_nonzero(x > 1e-9) == 1 and np.count_nonzero(y > 1e-9) == 1):
            continue  # pure equilibria are reported as profiles
        seen.add(key)
        out.append((x, y))
    return out


def _scale(M: np.ndarray) -> np.ndarray:
    """An affine rescaling (same equilibria) to unit spread, for the linear solves."""
    spread = float(M.max() - M.min())
    return (M - M.min()) / spread if spread > 0 else np.zeros_like(M)


def mixed_regret(means: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """[B] regret of the mixed profile (x, y) for B payoff arrays [B, n_1, n_2, 2]."""
    A, Bm = means[..., 0], means[..., 1]
    ay, xb = A @ y, np.einsum("i,bij->bj", x, Bm)
    return np.maximum(ay.max(axis=1) - ay @ x, xb.max(axis=1) - xb @ y)


def mixture_weights(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """[n_1, n_2] probability of each pure profile when the players mix independently."""
    return np.outer(x, y)
