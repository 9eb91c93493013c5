"""Closed-form results from the platform literature, and the Brock-Durlauf and two-network
restrictions of the agent model they are docked with.

DOMAIN.md lists closed-form results the model must reproduce in special cases; docs/ODD.md
section 7.11 says what is docked and gives the measured numbers.

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
* Armstrong (2006) two-sided Hotelling duopoly, single-homing on both sides (T1):
  :func:`armstrong_closed_form`; docked through the model in :mod:`model.price_docking`.
* Rochet-Tirole (2003) monopoly with per-transaction prices (T3): the linear-demand
  :func:`rochet_tirole_closed_form` and the price structure for any demands,
  :func:`rochet_tirole_prices`; docked through the model in :mod:`model.price_docking`.
* Katz-Shapiro (1985) / Cremer-Rey-Tirole (2000) Cournot competition with network
  effects, installed bases and an interconnection quality theta (T5): the closed forms; the
  model's own sign results (compatibility raises output; the larger network prefers less
  interoperability) come from ``scenarios/docking/two_networks.toml`` by
  :func:`two_networks_outcomes`.

Stand-alone numerical solvers of the textbook models (no agent model) are in
:mod:`model.solvers`, a cross-check of these closed forms only.
"""

from __future__ import annotations

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


# -- T3 Rochet-Tirole (2003) ---------------------------------------------------------


def rochet_tirole_closed_form(c: float = 0.3) -> dict:
    """Linear case D_B = 1 - p_B, D_S = 1 - p_S / 2: maximise (p_B + p_S - c) D_B D_S."""
    # First-order conditions: 1 - p_B = p - c and 2 - p_S = p - c (p = p_B + p_S), so with
    # m = p - c: p_B = 1 - m, p_S = 2 - m, p = 3 - 2m, hence m = (3 - c) / 3.
    m = (3 - c) / 3
    return {"p_B": 1 - m, "p_S": 2 - m}


def rochet_tirole_prices(buyers, sellers, cost: float, start: tuple[float, float] = (0.1, 0.1),
                        h: float = 1e-5) -> dict:
    """Rochet-Tirole (2003) monopoly prices for per-transaction demands ``buyers`` D_B(p_B) and ``sellers``
    D_S(p_S) (transactions D_B D_S, each up to a constant factor): the roots of the first-order conditions
    of (p_B + p_S - c) D_B D_S,

        p_B + p_S - c = D_B / -D_B' = D_S / -D_S',

    that is the Lerner index (p - c) / p = 1 / (eta_B + eta_S) with the total split so that
    p_B / eta_B = p_S / eta_S (eta_i = -p_i D_i' / D_i).  Derivatives of ln D by central differences."""
    def markup(d, p):  # D / -D'
        return -2 * h / (np.log(d(p + h)) - np.log(d(p - h)))

    def foc(x):
        return [x[0] + x[1] - cost - markup(buyers, x[0]), x[0] + x[1] - cost - markup(sellers, x[1])]

    pB, pS = optimize.fsolve(foc, start, xtol=1e-9)
    eB, eS = pB / markup(buyers, pB), pS / markup(sellers, pS)
    return {"p_B": float(pB), "p_S": float(pS), "eta_B": float(eB), "eta_S": float(eS)}


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


# -- the main model's own sign results ---------------------------------------------------


def two_networks_outcomes(big_open: bool, small_open: bool, seeds=(1, 2, 3), steps: int = 60,
                          consumers: int = 4000, tail: int = 24) -> dict:
    """Mean end-state outcomes of ``scenarios/docking/two_networks.toml`` with each
    network's marketplace accepting (open) or refusing (closed) the rival wallet."""
    from .config import size_overrides
    from .model import WalledGardens

    rows = []
    for seed in seeds:
        ov = size_overrides(consumers)
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
