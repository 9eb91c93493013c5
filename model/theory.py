"""Closed-form results from the platform literature and restricted simulations to dock with.

DOMAIN.md lists closed-form results the model must reproduce in special cases.
This module holds (a) the closed forms themselves and (b) small simulations of
each special case whose outcome *emerges* from agents' choices and platforms'
profit-seeking, so a docking test compares an emergent number with a formula:

* Brock-Durlauf (2001) logit adoption with network effects (T4).  Here the
  simulation *is* the model: :func:`brock_durlauf_overrides` maps (beta, gamma,
  a) onto the wallet adoption rule of :class:`model.consumers.ConsumerPopulation`
  (one wallet, c_w = 0, g_I = 0, wallet_noise = 1/beta, g_D = 2 gamma,
  a_w = a - gamma, revision 1), and :func:`wallet_share_map` evaluates one
  application of ``revise_wallets`` from an i.i.d. state with share s - the
  model's own one-round map F(s).  With d contacts its exact reference is the
  finite-degree map :func:`brock_durlauf_binomial_map`, not the mean-field
  closed form.  :func:`brock_durlauf_run` steps the whole model on the
  small-world graph or a random one (``rewire`` 1) and
  :func:`brock_durlauf_binomial_path` iterates the finite-degree map, the
  reference for full runs on a random graph (the small world departs from it:
  local clusters of adopters, section 7.11 of the ODD).
* Armstrong (2006) two-sided Hotelling duopoly with single-homing on both sides
  (T1): :func:`armstrong_simulation` spreads agents of both sides on [0, 1];
  each joins the platform with the higher utility given the other side's
  current membership (iterated to a fixed point), and the platforms alternate
  numerical best responses on profit computed from that demand.
* Rochet-Tirole (2003) monopoly platform with per-transaction prices (T3):
  :func:`rochet_tirole_simulation` maximises profit over agent demand.
* Katz-Shapiro (1985) / Cremer-Rey-Tirole (2000) Cournot competition with
  network effects, installed bases and an interconnection quality theta (T5):
  :func:`network_cournot_simulation` iterates firms' best responses while
  consumers' expectations of network size adapt to realised sizes.

The main model's own sign results (compatibility raises output; the larger
network prefers less interoperability) are checked on
``scenarios/docking/two_networks.toml`` by :func:`two_networks_outcomes`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import optimize

DOCKING = Path(__file__).resolve().parent.parent / "scenarios" / "docking"


def logistic(x):
    return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=float)))


# -- T4 Brock-Durlauf ----------------------------------------------------------------


def brock_durlauf_map(s, beta: float, gamma: float, a: float = 0.0):
    """The mean-field best-response map s -> logistic(beta (a + gamma (2s - 1)))."""
    return logistic(beta * (a + gamma * (2 * np.asarray(s, dtype=float) - 1)))


def brock_durlauf_equilibria(beta: float, gamma: float, a: float = 0.0, grid: int = 4001) -> list[float]:
    """All solutions of s = logistic(beta (a + gamma (2s - 1))) in [0, 1], ascending."""
    s = np.linspace(0.0, 1.0, grid)
    g = brock_durlauf_map(s, beta, gamma, a) - s
    roots = []
    for i in range(grid - 1):
        if g[i] == 0:
            roots.append(float(s[i]))
        elif g[i] * g[i + 1] < 0:
            roots.append(optimize.brentq(lambda x: brock_durlauf_map(x, beta, gamma, a) - x, s[i], s[i + 1],
                                         xtol=1e-12))
    return roots


def brock_durlauf_critical_a(beta: float, gamma: float) -> float:
    """a*: three equilibria exist iff beta gamma > 2 and |a| < a* (0 when beta gamma <= 2).

    At the fold the map is tangent to the diagonal: 2 beta gamma s (1 - s) = 1.
    """
    if beta * gamma <= 2:
        return 0.0
    s = (1 - np.sqrt(1 - 2 / (beta * gamma))) / 2
    return float(abs(np.log(s / (1 - s)) / beta - gamma * (2 * s - 1)))


def brock_durlauf_binomial_map(s, beta: float, gamma: float, a: float, degree: int):
    """Mean-field map with a finite number of contacts: E logistic(...) over q ~ Bin(degree, s) / degree.

    This is what the model's rule gives exactly when contacts' holdings are
    i.i.d.; it tends to :func:`brock_durlauf_map` as degree grows.
    """
    from scipy.stats import binom

    k = np.arange(degree + 1)
    s = np.atleast_1d(np.asarray(s, dtype=float))
    pk = binom.pmf(k[None, :], degree, s[:, None])
    return (pk * brock_durlauf_map(k / degree, beta, gamma, a)[None, :]).sum(axis=1)


def brock_durlauf_binomial_equilibria(beta: float, gamma: float, a: float, degree: int,
                                      grid: int = 401) -> list[float]:
    """Fixed points of :func:`brock_durlauf_binomial_map`: the equilibria the model's rule has exactly
    with ``degree`` contacts whose holdings are i.i.d. (ascending; a root on a grid point counts once)."""
    def gap(x: float) -> float:
        return float(brock_durlauf_binomial_map(x, beta, gamma, a, degree)[0]) - x

    s = np.linspace(0.0, 1.0, grid)
    g = brock_durlauf_binomial_map(s, beta, gamma, a, degree) - s
    g[np.abs(g) < 1e-13] = 0.0  # e.g. s = 1/2 at a = 0, hit exactly by the grid
    roots = [float(s[i]) for i in range(grid) if g[i] == 0]
    roots += [optimize.brentq(gap, s[i], s[i + 1], xtol=1e-8) for i in range(grid - 1) if g[i] * g[i + 1] < 0]
    return sorted(roots)


def brock_durlauf_binomial_path(s0: float, beta: float, gamma: float, a: float, degree: int,
                                steps: int) -> np.ndarray:
    """[steps + 1] shares s_0 = s0, s_(t+1) = F_d(s_t) with the finite-degree map.

    The full model follows this path when contacts' holdings stay independent of one
    another, as on a random graph (``size.rewire`` = 1): a consumer's contacts there have
    (almost surely) disjoint contacts of their own.  Its basins are split at the middle
    fixed point of :func:`brock_durlauf_binomial_equilibria` (when there are three).
    """
    s = [float(s0)]
    for _ in range(steps):
        s.append(float(brock_durlauf_binomial_map(s[-1], beta, gamma, a, degree)[0]))
    return np.array(s)


def brock_durlauf_min_degree(beta: float, gamma: float, a: float, tol: float = 0.01,
                             max_degree: int = 256) -> int | None:
    """Fewest contacts d such that with d or more (up to ``max_degree``, each checked) the finite-degree
    map has as many fixed points as the mean-field closed form, each within ``tol`` of it (None: not
    even at ``max_degree``)."""
    theory = brock_durlauf_equilibria(beta, gamma, a)
    ok = None
    for d in range(max_degree, 0, -1):  # from the top: the last degree of an unbroken run of matches
        eq = brock_durlauf_binomial_equilibria(beta, gamma, a, d)
        if len(eq) != len(theory) or max(abs(x - y) for x, y in zip(eq, theory)) > tol:
            break
        ok = d
    return ok


def brock_durlauf_overrides(beta: float, gamma: float, a: float = 0.0, s0: float = 0.5,
                            consumers: int = 20_000, degree: int | None = None, rewire: float | None = None) -> dict:
    """Config overrides mapping the model's wallet rule onto Brock-Durlauf (beta, gamma, a).

    hold if a_w + g_D q - c_w [new] + g_I A + wallet_noise * logistic noise > 0
    with c_w = 0, g_I = 0, g_D = 2 gamma, a_w = a - gamma, wallet_noise = 1/beta
    gives P(hold) = logistic(beta (a + gamma (2q - 1))).  ``degree`` (contacts) and
    ``rewire`` (share of lattice contacts rewired; 1: a random graph) default to the
    scenario's 64 and 0.1.
    """
    ov = {
        "size.consumers": consumers,
        "consumer.g_direct": 2.0 * gamma,
        "consumer.g_indirect": 0.0,
        "consumer.wallet_noise": 1.0 / beta,
        "consumer.wallet_revision": 1.0,
        "consumer.initial_wallet": {"w": float(s0)},
        "platforms.p.wallet.appeal": a - gamma,
        "platforms.p.wallet.adoption_cost": 0.0,
    }
    if degree is not None:
        ov["size.social_degree"] = int(degree)
    if rewire is not None:
        ov["size.rewire"] = float(rewire)
    return ov


def brock_durlauf_model(beta: float, gamma: float, a: float = 0.0, s0: float = 0.5, seed: int = 1,
                        consumers: int = 20_000, degree: int | None = None, rewire: float | None = None):
    """The full model built from ``scenarios/docking/brock_durlauf.toml`` for (beta, gamma, a)."""
    from .model import WalledGardens

    return WalledGardens(DOCKING / "brock_durlauf.toml", seed=seed, agents=False,
                         overrides=brock_durlauf_overrides(beta, gamma, a, s0, consumers, degree, rewire))


def brock_durlauf_run(beta: float, gamma: float, a: float, s0: float, *, degree: int | None = None,
                      rewire: float | None = None, steps: int | None = None, seed: int = 1,
                      consumers: int = 20_000) -> np.ndarray:
    """[steps + 1] share holding the wallet at ticks 0..steps when the whole model is stepped from
    i.i.d. holdings with share ``s0`` (``steps`` defaults to the scenario's 40).  The seed draws the
    graph, the start and every revision."""
    m = brock_durlauf_model(beta, gamma, a, s0, seed, consumers, degree, rewire)
    m.run_for(m.cfg.size.steps if steps is None else steps)
    return m.results()["holds_w"].to_numpy()


def brock_durlauf_contact_excess(model) -> float:
    """Mean share of contacts holding the wallet among holders minus that among non-holders.

    About 0 when contacts' holdings are independent of one's own (the finite-degree
    map's premise; a random graph); positive when adopters sit in local clusters."""
    cons = model.consumers
    held = cons.holds[:, 0]
    q = held[cons.contacts].mean(axis=1)
    return float(q[held].mean() - q[~held].mean()) if 0 < held.sum() < len(held) else 0.0


def wallet_share_map(model, s: float, seed: int = 0) -> float:
    """F(s): the share holding wallet 0 after one ``revise_wallets`` round from i.i.d. holdings with share s.

    Common random numbers (the same ``seed`` for every s) make F a smooth,
    monotone function of s, so the unstable equilibrium is a clean sign change
    of F(s) - s.
    """
    cons = model.consumers
    u = np.random.default_rng(seed).random(cons.holds.shape)
    cons.set_holdings(u < s, model.market)
    cons.revise_wallets(model.market, np.random.default_rng(seed + 1))
    return float(cons.holds[:, 0].mean())


def model_equilibria(model, grid: int = 41, seeds: tuple[int, ...] = (0,), xtol: float = 1e-4) -> list[float]:
    """Fixed points of the model's map F(s) (averaged over ``seeds``, each a common random number
    stream for every s): sign changes of F(s) - s on ``grid`` points, refined by bisection to ``xtol``."""
    def gap(x: float) -> float:
        return float(np.mean([wallet_share_map(model, x, seed) for seed in seeds])) - x

    s = np.linspace(0.0, 1.0, grid)
    g = np.array([gap(x) for x in s])
    roots = []
    for i in range(grid - 1):
        if g[i] == 0:
            roots.append(float(s[i]))
        elif g[i] * g[i + 1] < 0:
            roots.append(optimize.brentq(gap, s[i], s[i + 1], xtol=xtol))
    return roots


# -- T1 Armstrong (2006) -------------------------------------------------------------


def armstrong_closed_form(t1: float, t2: float, a1: float, a2: float, f1: float = 0.0, f2: float = 0.0) -> dict:
    """Symmetric equilibrium of the two-sided Hotelling duopoly, both sides single-homing."""
    if not 4 * t1 * t2 > (a1 + a2) ** 2:
        raise ValueError("needs 4 t1 t2 > (a1 + a2)^2 for a stable interior equilibrium")
    return {"p1": f1 + t1 - a2, "p2": f2 + t2 - a1, "share": 0.5, "profit": (t1 + t2 - a1 - a2) / 2}


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


def armstrong_simulation(t1: float, t2: float, a1: float, a2: float, f1: float = 0.0, f2: float = 0.0,
                         rounds: int = 100, start: tuple[float, float] = (1.0, 1.0)) -> dict:
    """Platforms alternate best responses on agent demand until prices settle (no closed form used)."""
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


# -- T3 Rochet-Tirole (2003) ---------------------------------------------------------


def rochet_tirole_closed_form(c: float = 0.3) -> dict:
    """Linear case D_B = 1 - p_B, D_S = 1 - p_S / 2: maximise (p_B + p_S - c) D_B D_S."""
    # First-order conditions: 1 - p_B = p - c and 2 - p_S = p - c (p = p_B + p_S), so with
    # m = p - c: p_B = 1 - m, p_S = 2 - m, p = 3 - 2m, hence m = (3 - c) / 3.
    m = (3 - c) / 3
    return {"p_B": 1 - m, "p_S": 2 - m}


def rochet_tirole_simulation(c: float = 0.3, agents: int = 20_001) -> dict:
    """A monopoly platform maximises profit over buyer and seller agents' participation.

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


# -- T5 Katz-Shapiro (1985) / Cremer-Rey-Tirole (2000) ------------------------------


def katz_shapiro_closed_form(A: float = 1.0, v: float = 0.5, n: int = 2) -> dict:
    """Output per firm under compatibility and incompatibility (fulfilled expectations)."""
    return {"compatible": A / (n + 1 - n * v), "incompatible": A / (n + 1 - v)}


def network_cournot_closed_form(A: float, v: float, bases: tuple[float, ...] = (0.0, 0.0),
                                theta: float = 0.0) -> np.ndarray:
    """Fulfilled-expectations Cournot outputs with installed bases b_i and interconnection theta.

    Firm i's customers pay p_i = A + v s_i - X with network size
    s_i = b_i + x_i + theta sum_{j != i} (b_j + x_j); firms take expectations
    as given, so x_i = A + v s_i - X, and fulfilled expectations give a linear system.
    """
    b = np.asarray(bases, float)
    n = len(b)
    M = np.full((n, n), 1.0 - v * theta) + np.eye(n) * (1.0 - v + v * theta)
    r = A + v * ((1 - theta) * b + theta * b.sum())
    return np.linalg.solve(M, r)


def network_cournot_simulation(A: float, v: float, bases: tuple[float, ...] = (0.0, 0.0), theta: float = 0.0,
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
    """Each firm's profit-maximising interconnection quality on a grid (simulated equilibria)."""
    thetas = np.linspace(0, 1, 21) if thetas is None else thetas
    profits = np.array([network_cournot_simulation(A, v, bases, th)["profit"] for th in thetas])
    return float(thetas[profits[:, 0].argmax()]), float(thetas[profits[:, 1].argmax()])


# -- the main model's own sign results ---------------------------------------------------


def two_networks_outcomes(big_open: bool, small_open: bool, seeds=(1, 2, 3), steps: int = 60,
                          consumers: int = 4000, tail: int = 24) -> dict:
    """Mean end-state outcomes of ``scenarios/docking/two_networks.toml`` with each
    network's marketplace accepting (open) or refusing (closed) the rival wallet."""
    from .model import WalledGardens

    rows = []
    for seed in seeds:
        ov = {"size.consumers": consumers, "size.merchants": max(consumers // 10, 10)}
        if big_open:
            ov["platforms.big.marketplaces.bigmart.accepts"] = ["bigpay", "smallpay"]
        if small_open:
            ov["platforms.small.marketplaces.smallmart.accepts"] = ["bigpay", "smallpay"]
        m = WalledGardens(DOCKING / "two_networks.toml", seed=seed, overrides=ov, agents=False)
        for _ in range(steps):
            m.step()
        rows.append(m.results().tail(tail).mean(numeric_only=True))
    mean = sum(rows) / len(rows)
    return {k: float(mean[k]) for k in ("revenue_big", "revenue_small", "gmv", "reach_mean",
                                        "pay_share_value_bigpay", "gmv_share_bigmart")}
