"""Stand-alone numerical solvers of the textbook models, a cross-check of the closed forms in
:mod:`model.theory`.

None of them runs the agent model: they solve each paper's own model (a continuum Hotelling
line, a grid of buyers' and sellers' values, a Cournot market with adaptive expectations)
numerically, so that a closed form is checked against a second derivation.  Docking of the
agent model itself is in :mod:`model.price_docking` (Armstrong, Rochet-Tirole),
:mod:`model.theory` (Brock-Durlauf; Katz-Shapiro and Cremer-Rey-Tirole signs,
:func:`model.theory.two_networks_outcomes`) and docs/ODD.md section 7.11.

* :class:`TwoSidedHotelling`, :func:`armstrong_solver`: Armstrong (2006), both sides single-homing
  on [0, 1]; memberships iterated to their fixed point, platforms alternate best responses.
* :func:`rochet_tirole_solver`: Rochet-Tirole (2003) monopoly with linear demands.
* :func:`network_cournot_solver`, :func:`preferred_interconnection`: Katz-Shapiro (1985) /
  Cremer-Rey-Tirole (2000) Cournot competition with network effects, installed bases and an
  interconnection quality theta.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize


# -- Armstrong (2006) ----------------------------------------------------------------


@dataclass
class TwoSidedHotelling:
    """A continuum of agents of each side spread uniformly on [0, 1]; platform A at 0, B at 1.

    An agent of side i at x joins A if a_i n_j^A - p_i^A - t_i x exceeds
    a_i n_j^B - p_i^B - t_i (1 - x), with n_j the other side's current
    membership shares.  Given prices, memberships are found by letting agents
    re-choose until no one wants to move (the participation fixed point).
    """

    t1: float
    t2: float
    a1: float
    a2: float
    f1: float = 0.0
    f2: float = 0.0

    def choose(self, side: int, other_share_A: float, pA: np.ndarray, pB: np.ndarray) -> float:
        """Share of side ``side`` preferring A: the mass of agents left of the indifferent one."""
        t, a = (self.t1, self.t2)[side], (self.a1, self.a2)[side]
        gain_A = a * other_share_A - pA[side]  # utility at A before travel cost
        gain_B = a * (1 - other_share_A) - pB[side]
        x_indifferent = (gain_A - gain_B + t) / (2 * t)
        return float(np.clip(x_indifferent, 0.0, 1.0))

    def memberships(self, pA: np.ndarray, pB: np.ndarray, iters: int = 500) -> tuple[float, float]:
        """Shares (n1A, n2A) at the fixed point of agents' choices given prices (p1, p2) of A and B."""
        n = [0.5, 0.5]
        for _ in range(iters):
            new = [self.choose(0, n[1], pA, pB), self.choose(1, n[0], pA, pB)]
            if max(abs(new[0] - n[0]), abs(new[1] - n[1])) < 1e-14:
                return new[0], new[1]
            n = new
        return n[0], n[1]

    def profit(self, own: np.ndarray, rival: np.ndarray, platform: int) -> float:
        """Profit of platform 0 (A) or 1 (B) from agents' demand at these prices."""
        pA, pB = (own, rival) if platform == 0 else (rival, own)
        n1A, n2A = self.memberships(np.asarray(pA), np.asarray(pB))
        n1, n2 = (n1A, n2A) if platform == 0 else (1 - n1A, 1 - n2A)
        return (own[0] - self.f1) * n1 + (own[1] - self.f2) * n2

    def best_response(self, rival: np.ndarray, platform: int, start: np.ndarray) -> np.ndarray:
        """The platform's profit-maximising prices against the rival's (numerical search)."""
        res = optimize.minimize(lambda p: -self.profit(p, rival, platform), start, method="Nelder-Mead",
                                options={"xatol": 1e-7, "fatol": 1e-12, "maxiter": 2000,
                                         "initial_simplex": [start, start + [0.2, 0.0], start + [0.0, 0.2]]})
        return res.x


def armstrong_solver(t1: float, t2: float, a1: float, a2: float, f1: float = 0.0, f2: float = 0.0,
                         rounds: int = 100, start: tuple[float, float] = (1.0, 1.0)) -> dict:
    """Platforms alternate numerical best responses on the continuum demand until prices settle."""
    game = TwoSidedHotelling(t1, t2, a1, a2, f1, f2)
    prices = [np.array(start, float), np.array(start, float)]
    for r in range(rounds):
        old = [p.copy() for p in prices]
        for pl in (0, 1):
            prices[pl] = game.best_response(prices[1 - pl], pl, prices[pl])
        if max(np.abs(prices[k] - old[k]).max() for k in (0, 1)) < 1e-6:
            break
    n1A, n2A = game.memberships(prices[0], prices[1])
    return {
        "pA": prices[0], "pB": prices[1], "n1A": n1A, "n2A": n2A, "rounds": r + 1,
        "profitA": game.profit(prices[0], prices[1], 0), "profitB": game.profit(prices[1], prices[0], 1),
    }


# -- Rochet-Tirole (2003) -----------------------------------------------------------


def rochet_tirole_solver(c: float = 0.3, agents: int = 20_001) -> dict:
    """A monopoly maximises profit numerically over a grid of buyers' and sellers' values.

    Buyers value a transaction at u_b ~ U[0, 1], sellers at u_s ~ U[0, 2]; each
    joins if its value exceeds its per-transaction price; transactions =
    buyers x sellers (every pair trades once).
    """
    ub = (np.arange(agents) + 0.5) / agents
    us = 2 * ub

    def profit(p):
        return (p[0] + p[1] - c) * np.mean(ub >= p[0]) * np.mean(us >= p[1])

    res = optimize.minimize(lambda p: -profit(p), np.array([0.5, 0.5]), method="Nelder-Mead",
                            options={"xatol": 1e-5, "fatol": 1e-10})
    return {"p_B": float(res.x[0]), "p_S": float(res.x[1]), "profit": profit(res.x)}


# -- Katz-Shapiro (1985) / Cremer-Rey-Tirole (2000) --------------------------------


def network_cournot_solver(A: float, v: float, bases: tuple[float, ...] = (0.0, 0.0), theta: float = 0.0,
                               rounds: int = 2000, tol: float = 1e-12) -> dict:
    """Firms best-respond in quantities to consumers' expected network sizes; expectations adapt.

    Each round: every firm sets x_i = max(0, A + v s_i^e - X_{-i}) / 2 (its best
    response to rivals' last outputs and the expected size of its network);
    consumers then expect the network sizes they just saw realised.
    """
    b = np.asarray(bases, float)
    n = len(b)
    x = np.zeros(n)
    for r in range(rounds):
        size_e = b + x + theta * ((b + x).sum() - (b + x))
        new = np.maximum(0.0, A + v * size_e - (x.sum() - x)) / 2
        new = 0.5 * x + 0.5 * new
        if np.abs(new - x).max() < tol:
            x = new
            break
        x = new
    price = A + v * (b + x + theta * ((b + x).sum() - (b + x))) - x.sum()
    return {"output": x, "profit": price * x, "total": float(x.sum()), "rounds": r + 1}


def preferred_interconnection(A: float, v: float, bases: tuple[float, float],
                              thetas: np.ndarray | None = None) -> tuple[float, float]:
    """Each firm's profit-maximising interconnection quality on a grid (solved equilibria)."""
    thetas = np.linspace(0, 1, 21) if thetas is None else thetas
    profits = np.array([network_cournot_solver(A, v, bases, th)["profit"] for th in thetas])
    return float(thetas[profits[:, 0].argmax()]), float(thetas[profits[:, 1].argmax()])
