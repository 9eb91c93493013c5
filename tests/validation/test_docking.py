"""Docking: the agent model, restricted to special cases, reproduces closed-form results (DOMAIN.md).

* T4 Brock-Durlauf: in tests/validation/test_brock_durlauf.py.
* T1 Armstrong: ``scenarios/docking/armstrong.toml`` runs the model's consumers and merchants; the
  symmetric equilibrium of the platforms' (commission, listing fee), found on the revenue the
  model books (model.price_docking), against theory.armstrong_closed_form.
* T3 Rochet-Tirole: ``scenarios/docking/rochet_tirole.toml``; the monopoly's optimum on the
  model's revenue against theory.rochet_tirole_prices for the restriction's demands, and
  Rochet and Tirole's elasticity rules with elasticities measured in the model.
* T5 Katz-Shapiro / Cremer-Rey-Tirole: signs in the main model (scenarios/docking/two_networks.toml).

The stand-alone solvers of the textbook models (model.solvers) are checked in tests/test_solvers.py.
"""

from __future__ import annotations

import numpy as np
import pytest

from model import price_docking as D
from model import theory as T
from model.config import load

RUN = {"ticks": 15, "tail": 10}  # merchants re-list every tick: the shares settle within a few ticks

# -- T1 Armstrong (2006) ----------------------------------------------------------------

ASYMMETRIC = {"consumer.taste_sd": 4.0, "consumer.b_merchants": 1.0,  # t1 = 0.4, a1 = 0.1
              "merchant.fixed_benefit.hotelling_cost": 0.6, "merchant.fixed_benefit.per_buyer_share": 0.3}


def armstrong_want(overrides=None) -> dict:
    P = D.armstrong_parameters(load(D.ARMSTRONG, overrides))
    return T.armstrong_closed_form(P["t1_logit"], P["t2_logit"], P["a1"], P["a2"])


def armstrong_shares(P: dict, d1: float, d2: float) -> tuple[float, float]:
    """Armstrong's participation fixed point when platform A's fees exceed B's by (d1, d2):
    2 n_1 - 1 = (a1 (2 n_2 - 1) - d1) / t1 and 2 n_2 - 1 = (a2 (2 n_1 - 1) - d2) / t2."""
    t1, t2 = P["t1_logit"], P["t2_logit"]
    x, y = np.linalg.solve([[1, -P["a1"] / t1], [-P["a2"] / t2, 1]], [-d1 / t1, -d2 / t2])
    return 0.5 + x / 2, 0.5 + y / 2


@pytest.mark.parametrize("d1, d2", [(0.05, 0.0), (0.0, 0.05), (-0.04, 0.03)])
def test_armstrong_restriction_has_hotelling_demand(d1, d2):
    """With A's fees above B's by (d1, d2), the model's buyers' and sellers' shares of A are Armstrong's
    (transport costs of the logit's slope), within 0.003."""
    P = D.armstrong_parameters(load(D.ARMSTRONG))
    terms = {("a", "ma", "commission"): 0.3 + d1, ("a", "ma", "fixed_fee"): 0.3 + d2,
             ("b", "mb", "commission"): 0.3, ("b", "mb", "fixed_fee"): 0.3}
    got = D.run_terms(D.ARMSTRONG, terms, **RUN)
    n1, n2 = armstrong_shares(P, d1, d2)
    assert got["buyers"][0] == pytest.approx(n1, abs=0.003)
    assert got["sellers"][0] == pytest.approx(n2, abs=0.003)
    assert got["buyers"].sum() == pytest.approx(1.0, abs=1e-4)  # full coverage: nobody buys offline
    assert got["sellers"].sum() == pytest.approx(1.0, abs=1e-4)  # every merchant lists on exactly one


@pytest.fixture(scope="module")
def armstrong():
    return D.armstrong_equilibrium(**RUN)


def test_armstrong_equilibrium_prices(armstrong):
    """The model's platforms settle at p1 = t1 - a2, p2 = t2 - a1 (t1 = 0.5 flattened by the checkout
    logit to 0.507, t2 = 0.5, a1 = a2 = 0.25), within 2%, with shares 1/2."""
    want = armstrong_want()
    assert armstrong["commission"] == pytest.approx(want["p1"], rel=0.02)
    assert armstrong["fixed_fee"] == pytest.approx(want["p2"], rel=0.02)
    assert np.allclose(armstrong["buyers"], 0.5, atol=0.005)
    assert np.allclose(armstrong["sellers"], 0.5, atol=0.005)
    assert armstrong["revenue"] == pytest.approx(want["profit"], rel=0.02)


def test_armstrong_equilibrium_is_a_best_response_for_both_platforms(armstrong):
    """At the equilibrium neither platform earns more by moving one of its prices by 0.02 either way."""
    x = np.array([armstrong["commission"], armstrong["fixed_fee"]])
    terms = {("a", "ma", "commission"): x[0], ("a", "ma", "fixed_fee"): x[1],
             ("b", "mb", "commission"): x[0], ("b", "mb", "fixed_fee"): x[1]}
    at = D.run_terms(D.ARMSTRONG, terms, **RUN)["revenue"]
    for name, k in (("a", "ma"), ("b", "mb")):
        for field, i in (("commission", 0), ("fixed_fee", 1)):
            for step in (-0.02, 0.02):
                moved = D.run_terms(D.ARMSTRONG, terms | {(name, k, field): x[i] + step}, **RUN)["revenue"]
                assert moved[name] < at[name], (name, field, step)


def test_armstrong_equilibrium_other_sides():
    """Unequal sides (t1 = 0.4, t2 = 0.6, a1 = 0.1, a2 = 0.3): p1 = 0.115 (0.100 without the logit's
    flattening), p2 = 0.5, within 2%."""
    want = armstrong_want(ASYMMETRIC)
    got = D.armstrong_equilibrium(overrides=ASYMMETRIC, **RUN)
    assert got["commission"] == pytest.approx(want["p1"], rel=0.02)
    assert got["fixed_fee"] == pytest.approx(want["p2"], rel=0.02)


# -- T3 Rochet-Tirole (2003) ------------------------------------------------------------


def rochet_tirole_want() -> dict:
    cfg = load(D.ROCHET_TIROLE)
    buyers, sellers = D.rochet_tirole_demands(cfg)
    return T.rochet_tirole_prices(buyers, sellers, cfg.platforms["p"].marketplaces["m"].cost, start=(0.2, 0.2))


def test_rochet_tirole_restriction_trades_d_b_times_d_s():
    """The goods the model sells move with each price as D_B(p_B) D_S(p_S), within 0.5%."""
    buyers, sellers = D.rochet_tirole_demands(load(D.ROCHET_TIROLE))

    def sold(pB, pS):
        return D.run_terms(D.ROCHET_TIROLE, {("p", "m", "consumer_price"): pB, ("p", "m", "commission"): pS},
                           **RUN)["sold"]

    base = sold(0.3, 0.25)
    for pB, pS in ((0.35, 0.25), (0.3, 0.2), (0.25, 0.3)):
        want = buyers(pB) * sellers(pS) / (buyers(0.3) * sellers(0.25))
        assert sold(pB, pS) / base == pytest.approx(want, rel=0.005)


@pytest.fixture(scope="module")
def rochet_tirole():
    return D.rochet_tirole_optimum(**RUN)


def test_rochet_tirole_monopoly_prices(rochet_tirole):
    """The model's revenue peaks at Rochet and Tirole's p_B = 0.308, p_S = 0.254, within 2%."""
    want = rochet_tirole_want()
    assert rochet_tirole["consumer_price"] == pytest.approx(want["p_B"], rel=0.02)
    assert rochet_tirole["commission"] == pytest.approx(want["p_S"], rel=0.02)


def test_rochet_tirole_elasticity_rules_hold_in_the_model(rochet_tirole):
    """With the elasticities of the model's own volume at its optimum: Lerner (p - c) / p = 1 / (eta_B +
    eta_S) and the split p_B / eta_B = p_S / eta_S, within 2%."""
    x = np.array([rochet_tirole["consumer_price"], rochet_tirole["commission"]])
    eB, eS = D.elasticities(D.ROCHET_TIROLE, x, **RUN)
    p, c = x.sum(), load(D.ROCHET_TIROLE).platforms["p"].marketplaces["m"].cost
    assert (p - c) / p == pytest.approx(1 / (eB + eS), rel=0.02)
    assert x[0] / eB == pytest.approx(x[1] / eS, rel=0.02)


def test_hill_climbing_gets_near_the_optimal_revenue():
    """The platform's own hill-climbing (7.7) from (0.2, 0.2) earns, over ticks 240-480, within 1.5% of the
    optimal revenue (its prices wander along the ridge of near-optimal ones: docs/ODD.md 7.11)."""
    cfg = load(D.ROCHET_TIROLE)
    buyers, sellers = D.rochet_tirole_demands(cfg)
    cost = cfg.platforms["p"].marketplaces["m"].cost
    want = rochet_tirole_want()

    def revenue(pB, pS):
        return (pB + pS - cost) * buyers(pB) * sellers(pS)

    path = D.rochet_tirole_hill_climb(ticks=480)
    settled = revenue(*path[240:].T).mean()
    assert settled / revenue(want["p_B"], want["p_S"]) > 0.985
    assert revenue(*path[0]) / revenue(want["p_B"], want["p_S"]) < 0.9  # it did have to climb


# -- T5 Katz-Shapiro (1985) / Cremer-Rey-Tirole (2000) ----------------------------------


@pytest.fixture(scope="module")
def two_networks():
    return {
        "closed": T.two_networks_outcomes(False, False),
        "open": T.two_networks_outcomes(True, True),
    }


def test_main_model_compatibility_raises_output(two_networks):
    """In the main model, mutual wallet acceptance raises total spending and merchant reach."""
    closed, open_ = two_networks["closed"], two_networks["open"]
    assert open_["gmv"] > closed["gmv"]
    assert open_["reach_mean"] > closed["reach_mean"] + 0.01


def test_main_model_larger_network_prefers_walled_garden(two_networks):
    """In the main model the larger network earns more closed and the smaller more open, so with
    interoperability chosen by mutual agreement the larger network chooses less of it."""
    closed, open_ = two_networks["closed"], two_networks["open"]
    assert closed["gmv_share_bigmart"] > 0.55  # "big" is the larger network
    assert closed["revenue_big"] > open_["revenue_big"] * 1.01
    assert open_["revenue_small"] > closed["revenue_small"] * 1.03
