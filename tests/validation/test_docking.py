"""Docking: the model, restricted to special cases, reproduces closed-form results (DOMAIN.md).

* T4 Brock-Durlauf: the model's own wallet adoption rule (ConsumerPopulation.revise_wallets,
  run inside WalledGardens built from scenarios/docking/brock_durlauf.toml) against
  s = logistic(beta (a + gamma (2s - 1))).
* T1 Armstrong and T3 Rochet-Tirole: prices that emerge from platforms' numerical best
  responses on agents' demand (model.theory) against the closed forms.
* T5 Katz-Shapiro / Cremer-Rey-Tirole: outputs of an adaptive-expectations Cournot
  simulation against the closed forms, and the same signs in the main model
  (scenarios/docking/two_networks.toml).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from model import theory as T

# -- T4 Brock-Durlauf -------------------------------------------------------------------

DOMAIN_T4 = [0.0212, 0.5, 0.9788]  # beta = 1, gamma = 4, a = 0 (DOMAIN.md)


def test_closed_form_matches_domain_values():
    eq = T.brock_durlauf_equilibria(1.0, 4.0, 0.0)
    assert np.allclose(eq, DOMAIN_T4, atol=1e-4)
    assert T.brock_durlauf_critical_a(1.0, 4.0) == pytest.approx(1.0657, abs=1e-4)
    assert len(T.brock_durlauf_equilibria(1.0, 4.0, 1.05)) == 3
    assert len(T.brock_durlauf_equilibria(1.0, 4.0, 1.08)) == 1


@pytest.fixture(scope="module")
def bd_model():
    return T.brock_durlauf_model(1.0, 4.0, 0.0, consumers=50_000)


def test_model_rule_is_the_brock_durlauf_map(bd_model):
    """One round of the model's adoption rule from i.i.d. holdings: F(s) = E logistic(...) over the
    share q of 64 contacts holding (Bin(64, s) / 64), which is within 0.01 of the mean-field map."""
    for s in (0.0, 0.1, 0.3, 0.5, 0.7, 0.9, 1.0):
        got = T.wallet_share_map(bd_model, s, seed=3)
        exact = float(T.brock_durlauf_binomial_map(s, 1.0, 4.0, 0.0, degree=64)[0])
        assert got == pytest.approx(exact, abs=0.008), s  # 50,000 consumers: sd of a share <= 0.0023
        assert exact == pytest.approx(float(T.brock_durlauf_map(s, 1.0, 4.0)), abs=0.01), s


def test_three_equilibria_of_the_model_at_domain_case(bd_model):
    """beta gamma = 4 > 2, a = 0: the model's map has three fixed points, at the DOMAIN values."""
    eq = T.model_equilibria(bd_model)
    assert len(eq) == 3
    assert np.allclose(eq, DOMAIN_T4, atol=0.01), eq


@pytest.mark.parametrize("s0, target", [(0.1, 0.0212), (0.4, 0.0212), (0.6, 0.9788), (0.9, 0.9788)])
def test_running_the_model_settles_at_a_stable_equilibrium(s0, target):
    """Stepping the whole model (small-world graph, 64 contacts) tips to the nearer stable share."""
    m = T.brock_durlauf_model(1.0, 4.0, 0.0, s0=s0, consumers=20_000, seed=5)
    m.run_for(30)
    end = m.results()["holds_w"].tail(10).mean()
    assert end == pytest.approx(target, abs=0.01)


@pytest.mark.parametrize("beta, gamma, a, n_eq", [
    (1.0, 1.0, 0.0, 1),  # beta gamma = 1 <= 2
    (1.0, 1.6, 0.3, 1),  # beta gamma = 1.6 <= 2
    (2.0, 0.9, -0.2, 1),  # beta gamma = 1.8 <= 2
    (1.0, 4.0, 0.8, 3),  # |a| < a* = 1.0657
    (1.0, 4.0, -0.8, 3),
    (1.0, 4.0, 1.3, 1),  # |a| > a*
    (1.0, 4.0, -1.3, 1),
    (1.5, 2.0, 0.0, 3),  # beta gamma = 3
])
def test_number_of_equilibria(beta, gamma, a, n_eq):
    assert len(T.brock_durlauf_equilibria(beta, gamma, a)) == n_eq
    m = T.brock_durlauf_model(beta, gamma, a, consumers=50_000)
    eq = T.model_equilibria(m, seeds=(0, 1, 2))
    assert len(eq) == n_eq, eq
    # stable equilibria (the outer ones) match the exact ones of the rule with 64 contacts within 0.01,
    # and those are within 0.01 of the mean-field closed form
    exact = T.brock_durlauf_binomial_equilibria(beta, gamma, a, degree=64)
    theory = T.brock_durlauf_equilibria(beta, gamma, a)
    for i in (0, -1):
        assert eq[i] == pytest.approx(exact[i], abs=0.01)
        assert exact[i] == pytest.approx(theory[i], abs=0.01)


@settings(max_examples=12, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(beta=st.floats(0.5, 2.0), gamma=st.floats(0.0, 2.0), a=st.floats(-1.5, 1.5), s=st.floats(0.0, 1.0))
def test_model_map_equals_finite_degree_mean_field(beta, gamma, a, s):
    """For any (beta, gamma, a, s) the model's rule averages logistic(...) over Bin(64, s) contacts."""
    m = T.brock_durlauf_model(beta, gamma, a, consumers=20_000, seed=2)
    got = T.wallet_share_map(m, s, seed=4)
    want = float(T.brock_durlauf_binomial_map(s, beta, gamma, a, degree=64)[0])
    sd = np.sqrt(want * (1 - want) / 20_000) + np.sqrt(s * (1 - s) / 20_000)
    assert abs(got - want) < 5 * sd + 1e-3


# -- T1 Armstrong (2006) ----------------------------------------------------------------


def test_armstrong_domain_case():
    """t1 = t2 = 1, a1 = 0.5, a2 = 0.3: p = (0.70, 0.50), shares 1/2, profit 0.60 (within 2%)."""
    sim = T.armstrong_simulation(1.0, 1.0, 0.5, 0.3, start=(1.2, 0.2))
    for p in (sim["pA"], sim["pB"]):
        assert p[0] == pytest.approx(0.70, rel=0.02)
        assert p[1] == pytest.approx(0.50, rel=0.02)
    for n in (sim["n1A"], sim["n2A"]):
        assert n == pytest.approx(0.5, rel=0.02)
    assert sim["profitA"] == pytest.approx(0.60, rel=0.02)
    assert sim["profitB"] == pytest.approx(0.60, rel=0.02)


def test_armstrong_without_network_effects_is_hotelling():
    sim = T.armstrong_simulation(1.0, 0.6, 0.0, 0.0, start=(0.3, 1.5))
    assert sim["pA"] == pytest.approx([1.0, 0.6], abs=1e-3)


@settings(max_examples=15, deadline=None, derandomize=True)
@given(t1=st.floats(0.5, 2.0), t2=st.floats(0.5, 2.0), a1=st.floats(0.0, 1.0), a2=st.floats(0.0, 1.0),
       f1=st.floats(0.0, 0.5), f2=st.floats(0.0, 0.5))
def test_armstrong_prices_emerge_for_any_admissible_case(t1, t2, a1, a2, f1, f2):
    """Whenever 4 t1 t2 > (a1 + a2)^2 (with margin), best responses settle at p_i = f_i + t_i - a_j."""
    from hypothesis import assume

    assume(4 * t1 * t2 > 1.3 * (a1 + a2) ** 2)
    want = T.armstrong_closed_form(t1, t2, a1, a2, f1, f2)
    sim = T.armstrong_simulation(t1, t2, a1, a2, f1, f2, start=(f1 + 0.5, f2 + 0.5))
    for p in (sim["pA"], sim["pB"]):
        assert p[0] == pytest.approx(want["p1"], abs=2e-3)
        assert p[1] == pytest.approx(want["p2"], abs=2e-3)
    assert sim["n1A"] == pytest.approx(0.5, abs=2e-3)


# -- T3 Rochet-Tirole (2003) ------------------------------------------------------------


def test_rochet_tirole_monopoly_prices():
    sim = T.rochet_tirole_simulation(c=0.3)
    assert sim["p_B"] == pytest.approx(0.1, abs=0.005)
    assert sim["p_S"] == pytest.approx(1.1, rel=0.02)
    # Lerner index = 1 / (e_B + e_S) and p_B / e_B = p_S / e_S at the emergent prices
    pB, pS = sim["p_B"], sim["p_S"]
    eB, eS = pB / (1 - pB), (pS / 2) / (1 - pS / 2)
    assert (pB + pS - 0.3) / (pB + pS) == pytest.approx(1 / (eB + eS), rel=0.02)


# -- T5 Katz-Shapiro (1985) / Cremer-Rey-Tirole (2000) ----------------------------------


def test_katz_shapiro_outputs():
    """A = 1, v = 0.5, n = 2: output per firm 0.5 compatible vs 0.4 incompatible."""
    want = T.katz_shapiro_closed_form(1.0, 0.5, 2)
    assert want == {"compatible": 0.5, "incompatible": 0.4}
    comp = T.network_cournot_simulation(1.0, 0.5, (0.0, 0.0), theta=1.0)
    inc = T.network_cournot_simulation(1.0, 0.5, (0.0, 0.0), theta=0.0)
    assert comp["output"] == pytest.approx([0.5, 0.5], abs=1e-6)
    assert inc["output"] == pytest.approx([0.4, 0.4], abs=1e-6)
    assert comp["total"] > inc["total"]


@settings(max_examples=30, deadline=None, derandomize=True)
@given(A=st.floats(0.5, 2.0), v=st.floats(0.05, 0.9), n=st.integers(2, 5))
def test_compatibility_raises_output_for_any_n(A, v, n):
    comp = T.network_cournot_simulation(A, v, (0.0,) * n, theta=1.0)
    inc = T.network_cournot_simulation(A, v, (0.0,) * n, theta=0.0)
    want = T.katz_shapiro_closed_form(A, v, n)
    assert comp["output"] == pytest.approx([want["compatible"]] * n, rel=1e-5)
    assert inc["output"] == pytest.approx([want["incompatible"]] * n, rel=1e-5)
    assert comp["total"] > inc["total"]


def test_larger_network_prefers_less_interconnection():
    """Cremer-Rey-Tirole: with installed bases 1.0 vs 0.2 the larger firm picks theta = 0, the smaller 1."""
    big, small = T.preferred_interconnection(1.0, 0.5, (1.0, 0.2))
    assert big < small
    assert big == 0.0 and small == 1.0
    sim = T.network_cournot_simulation(1.0, 0.5, (1.0, 0.2), theta=0.5)
    assert sim["output"] == pytest.approx(T.network_cournot_closed_form(1.0, 0.5, (1.0, 0.2), 0.5), abs=1e-6)


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
