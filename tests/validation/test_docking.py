"""Docking: the model, restricted to special cases, reproduces closed-form results (DOMAIN.md).

* T4 Brock-Durlauf: in tests/validation/test_brock_durlauf.py.
* T1 Armstrong and T3 Rochet-Tirole: prices that emerge from platforms' numerical best
  responses on agents' demand (model.theory) against the closed forms.
* T5 Katz-Shapiro / Cremer-Rey-Tirole: outputs of an adaptive-expectations Cournot
  simulation against the closed forms, and the same signs in the main model
  (scenarios/docking/two_networks.toml).
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from model import theory as T

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
