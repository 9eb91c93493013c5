"""Armstrong (2006) and Rochet-Tirole (2003) docked through the agent model itself.

``scenarios/docking/armstrong.toml`` and ``rochet_tirole.toml`` restrict the real
:class:`~model.model.WalledGardens`: its own consumers (checkout logit, 7.3), merchants (listing
logit, 7.4), settlement and revenue booking (7.6) make demand and revenue.  Only the platforms'
price-setting is done here, as a search on the revenue the model books:

* every evaluation builds the model with the marketplaces' terms fixed at the prices tried, runs
  it ``ticks`` ticks and averages each platform's revenue per consumer over the last ``tail``;
  all evaluations use one seed (common random numbers: the same consumers, merchants and draws),
  so revenue is a smooth function of prices and finite differences measure the demand's slope,
  not noise;
* a platform's move is a Newton step toward its best response: gradient and Hessian of its
  revenue in its own prices by central differences (step ``h``), given the rival's prices;
  between steps the matrix is updated by Broyden's rule (one gradient, 4 runs, per step).

The rest point is where no platform's revenue rises with a small change of its own prices:
the rest point the hill-climbing of 7.7 (``rules/strategy.py``) looks for, found without its
noise.  The hill-climber itself cannot find it to 2%: it compares single intervals' revenue,
whose sampling noise (merchants' listing draws) exceeds the revenue gained by its smallest
step near the top, and it moves the two prices in turn along a narrow ridge (docs/ODD.md 7.11,
measured there); and it has no move for the listing fee, Armstrong's seller-side price.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from .config import load
from .theory import DOCKING

ARMSTRONG = DOCKING / "armstrong.toml"
ROCHET_TIROLE = DOCKING / "rochet_tirole.toml"

Terms = dict[tuple[str, str, str], float]  # (platform, marketplace, field) -> value


def run_terms(path: Path, terms: Terms, seed: int = 1, ticks: int = 30, tail: int = 20,
              overrides: dict | None = None) -> dict:
    """The model run with the marketplaces' ``terms`` fixed: means over the last ``tail`` of ``ticks`` ticks
    of each platform's revenue per consumer, each marketplace's spending over all budgets (buyers) and
    share of merchants listed (sellers), and the goods sold per consumer."""
    from .model import WalledGardens

    ov = dict(overrides or {})
    ov.update({f"platforms.{p}.marketplaces.{k}.{f}": float(v) for (p, k, f), v in terms.items()})
    m = WalledGardens(path, seed=seed, agents=False, overrides=ov)
    n = m.cfg.size.consumers
    rows = []
    for t in range(ticks):
        m.step()
        if t >= ticks - tail:
            rows.append(np.concatenate([[p.revenue / n for p in m.platforms],
                                        m.last_purchases.gmv / float(m.consumers.budget.sum()),
                                        m.merchants.lists.mean(axis=0), [m.flows.sold.sum() / n]]))
    mean = np.mean(rows, axis=0)
    P, K = len(m.platforms), m.market.n_markets
    return {"revenue": dict(zip(m.cfg.platforms, mean[:P])), "buyers": mean[P:P + K],
            "sellers": mean[P + K:P + 2 * K], "sold": float(mean[-1])}


def gradient(f: Callable[[np.ndarray], float], x: np.ndarray, h: float) -> np.ndarray:
    """Central differences of f at x (2 evaluations per coordinate)."""
    e = np.eye(len(x)) * h
    return np.array([(f(x + e[i]) - f(x - e[i])) / (2 * h) for i in range(len(x))])


def hessian(f: Callable[[np.ndarray], float], x: np.ndarray, h: float) -> np.ndarray:
    """Second differences of f at x (diagonal central, cross terms one-sided)."""
    n, e = len(x), np.eye(len(x)) * h
    f0, fp = f(x), [f(x + e[i]) for i in range(len(x))]
    fm = [f(x - e[i]) for i in range(n)]
    H = np.diag([(fp[i] - 2 * f0 + fm[i]) / h**2 for i in range(n)])
    for i in range(n):
        for j in range(i + 1, n):
            H[i, j] = H[j, i] = (f(x + e[i] + e[j]) - fp[i] - fp[j] + f0) / h**2
    return H


def broyden_root(g: Callable[[np.ndarray], np.ndarray], x: np.ndarray, B: np.ndarray, tol: float,
                 max_steps: int) -> tuple[np.ndarray, np.ndarray, int]:
    """(x, g(x), steps): Newton steps x - B^-1 g(x) with Broyden updates of B until a step is below ``tol``."""
    gx = g(x)
    for step in range(1, max_steps + 1):
        dx = -np.linalg.solve(B, gx)
        x = x + dx
        new = g(x)
        B = B + np.outer(new - gx - B @ dx, dx) / (dx @ dx)
        gx = new
        if np.abs(dx).max() < tol:
            break
    return x, gx, step


# -- Armstrong (2006): the symmetric equilibrium of the duopoly --------------------------


def armstrong_parameters(cfg) -> dict:
    """Armstrong's (t1, t2, a1, a2) of the restricted model, in money per consumer (side 1) and units U
    per merchant (side 2; M U = N, so the two sides' fees add up per consumer).

    t1 = taste_sd / tau and t2 = hotelling_cost are the transport costs; the logit of checkout (scale
    1 in utility) and of listing (scale choice_noise) over agents spread evenly on the line flatten
    demand's slope to tanh(t / 2 s) / 2t, so ``t1_logit`` = t1 / tanh(taste_sd / 2) and ``t2_logit``
    = t2 / tanh(t2 / 2 choice_noise) are the transport costs of the same slope.  a1 = b_merchants / tau
    is the slope of b_M ln(1 + S_k / S_mean) = b_M ln(1 + 2 n_2k) at the symmetric point (the symmetric
    equilibrium depends on the benefits only through their slopes there); a2 = per_buyer_share."""
    c, fb = cfg.consumer, cfg.merchant.fixed_benefit
    t1, t2 = c.taste_sd / c.tau, fb.hotelling_cost
    return {"t1": t1, "t2": t2, "a1": c.b_merchants / c.tau, "a2": fb.per_buyer_share,
            "t1_logit": t1 / np.tanh(c.taste_sd / 2), "t2_logit": t2 / np.tanh(t2 / (2 * cfg.merchant.choice_noise))}


def _duopoly(cfg) -> list[tuple[str, str]]:
    """(platform, marketplace) of the two marketplaces, in config order (ends 0 and 1 of the line)."""
    return [(p, k) for p, pc in cfg.platforms.items() for k in pc.marketplaces]


def armstrong_revenue(own: np.ndarray, rival: np.ndarray, cfg, path: Path = ARMSTRONG, **run) -> float:
    """Revenue per consumer of the first platform with (commission, listing fee) ``own`` against ``rival``."""
    (pa, ka), (pb, kb) = _duopoly(cfg)
    terms = {(pa, ka, "commission"): own[0], (pa, ka, "fixed_fee"): own[1],
             (pb, kb, "commission"): rival[0], (pb, kb, "fixed_fee"): rival[1]}
    return run_terms(path, terms, **run)["revenue"][pa]


def armstrong_equilibrium(path: Path = ARMSTRONG, start=None, h: float = 0.02, tol: float = 1e-4,
                          max_steps: int = 12, **run) -> dict:
    """The model's symmetric equilibrium (commission, listing fee): both platforms at x, and the first
    platform's revenue gradient in its own prices zero there (by the scenario's mirror symmetry, the
    second's too).  The search starts from ``start`` (default: the first marketplace's terms in the
    scenario); ``run``: seed, ticks, tail, overrides of :func:`run_terms`."""
    cfg = load(path, run.get("overrides"))
    if start is None:
        p, k = _duopoly(cfg)[0]
        start = (cfg.platforms[p].marketplaces[k].commission, cfg.platforms[p].marketplaces[k].fixed_fee)

    def revenue(own, rival):
        return armstrong_revenue(own, rival, cfg, path, **run)

    x = np.asarray(start, float)
    B = hessian(lambda own: revenue(own, x), x, h)  # the own-price Hessian: the first step is a best response

    def g(x):
        return gradient(lambda own: revenue(own, x), x, h)

    x, gx, steps = broyden_root(g, x, B, tol, max_steps)
    (pa, ka), (pb, kb) = _duopoly(cfg)
    at = run_terms(path, {(pa, ka, "commission"): x[0], (pa, ka, "fixed_fee"): x[1],
                          (pb, kb, "commission"): x[0], (pb, kb, "fixed_fee"): x[1]}, **run)
    return {"commission": float(x[0]), "fixed_fee": float(x[1]), "gradient": gx, "steps": steps,
            "buyers": at["buyers"], "sellers": at["sellers"], "revenue": at["revenue"][pa]}


# -- Rochet-Tirole (2003): the monopoly's price structure --------------------------------


def rochet_tirole_demands(cfg) -> tuple[Callable, Callable]:
    """(D_B(p_B), D_S(p_S)) of the restricted model, each up to a constant factor: goods sold = D_B D_S.

    A consumer spends budget x logistic(V - V_0) online, about budget x exp(V - V_0) when that is
    small, and buys goods worth spend / (1 + p_B); V holds -tau p_B and b_V ln(1 + S / (rho N)).  So
    D_B = exp(-tau p_B) / (1 + p_B) and D_S = (1 + S / (rho N))^b_V with S = M logistic((margin - p_S)
    / choice_noise), the sellers of the listing logit when every merchant has the same margin."""
    c, mer = cfg.consumer, cfg.merchant
    per = cfg.size.merchants / (c.variety_scale * cfg.size.consumers)

    def buyers(p):
        return np.exp(-c.tau * np.asarray(p, float)) / (1 + np.asarray(p, float))

    def sellers(p):
        listed = 1 / (1 + np.exp(-(mer.margin_mean - np.asarray(p, float)) / mer.choice_noise))
        return (1 + per * listed) ** c.b_variety

    return buyers, sellers


def _monopoly(cfg) -> tuple[str, str]:
    (p, k), = [(p, k) for p, pc in cfg.platforms.items() for k in pc.marketplaces]
    return p, k


def rochet_tirole_revenue(x: np.ndarray, cfg, path: Path = ROCHET_TIROLE, **run) -> float:
    """Revenue per consumer of the monopoly with (price to buyers, commission) ``x``."""
    p, k = _monopoly(cfg)
    return run_terms(path, {(p, k, "consumer_price"): x[0], (p, k, "commission"): x[1]}, **run)["revenue"][p]


def rochet_tirole_optimum(path: Path = ROCHET_TIROLE, start=None, h: float = 0.02, tol: float = 1e-4,
                          max_steps: int = 12, **run) -> dict:
    """The monopoly's revenue-maximising (price to buyers, commission) on the model's revenue, searched
    from ``start`` (default: the scenario's terms)."""
    cfg = load(path, run.get("overrides"))
    if start is None:
        p, k = _monopoly(cfg)
        start = (cfg.platforms[p].marketplaces[k].consumer_price, cfg.platforms[p].marketplaces[k].commission)

    def revenue(x):
        return rochet_tirole_revenue(x, cfg, path, **run)

    x = np.asarray(start, float)
    x, gx, steps = broyden_root(lambda y: gradient(revenue, y, h), x, hessian(revenue, x, h), tol, max_steps)
    return {"consumer_price": float(x[0]), "commission": float(x[1]), "gradient": gx, "steps": steps,
            "revenue": revenue(x)}


def elasticities(path: Path, x: np.ndarray, h: float = 0.01, **run) -> tuple[float, float]:
    """(eta_B, eta_S): the elasticities of the goods sold in the model to each price at ``x`` (central
    differences of the simulated volume; Rochet and Tirole's eta_i = -p_i dlnQ / dp_i)."""
    p, k = _monopoly(load(path, run.get("overrides")))

    def log_sold(y):
        return np.log(run_terms(path, {(p, k, "consumer_price"): y[0], (p, k, "commission"): y[1]}, **run)["sold"])

    slope = gradient(log_sold, np.asarray(x, float), h)
    return float(-x[0] * slope[0]), float(-x[1] * slope[1])


def rochet_tirole_hill_climb(path: Path = ROCHET_TIROLE, ticks: int = 800, interval: int = 4, step: float = 0.01,
                             seed: int = 1, overrides: dict | None = None) -> np.ndarray:
    """[ticks, 2] the monopoly's (price to buyers, commission) when it sets them itself by the
    hill-climbing of 7.7 (``adaptive`` and ``adaptive_consumer_price``, moves every ``interval`` ticks,
    first step ``step``), from the scenario's terms."""
    from .model import WalledGardens

    name, k = _monopoly(load(path, overrides))
    m = WalledGardens(path, seed=seed, agents=False, overrides=dict(overrides or {}) | {
        f"platforms.{name}.adaptive": True, f"platforms.{name}.adaptive_consumer_price": True,
        f"platforms.{name}.strategy_interval": interval, f"platforms.{name}.commission_step": step})
    platform, out = m.platform(name), []
    for _ in range(ticks):
        m.step()
        out.append((platform.consumer_price[k], platform.commission[k]))
    return np.array(out)
