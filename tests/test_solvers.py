"""The stand-alone solvers of the textbook models (model.solvers) agree with the closed forms of
model.theory.  A cross-check of the closed forms only: no agent model runs here (docking of the
model itself: tests/validation/test_docking.py, test_brock_durlauf.py)."""

from __future__ import annotations

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from model import solvers as S
from model import theory as T


def test_armstrong_solver_domain_case():
    """t1 = t2 = 1, a1 = 0.5, a2 = 0.3: p = (0.70, 0.50), shares 1/2, profit 0.60 (within 2%)."""
    sol = S.armstrong_solver(1.0, 1.0, 0.5, 0.3, start=(1.2, 0.2))
    for p in (sol["pA"], sol["pB"]):
        assert p[0] == pytest.approx(0.70, rel=0.02)
        assert p[1] == pytest.approx(0.50, rel=0.02)
    for n in (sol["n1A"], sol["n2A"]):
        assert n == pytest.approx(0.5, rel=0.02)
    assert sol["profitA"] == pytest.approx(0.60, rel=0.02)


@settings(max_examples=5, deadline=None, derandomize=True)
@given(t1=st.floats(0.5, 2.0), t2=st.floats(0.5, 2.0), a1=st.floats(0.0, 1.0), a2=st.floats(0.0, 1.0))
def test_armstrong_solver_matches_the_closed_form(t1, t2, a1, a2):
    assume(4 * t1 * t2 > 1.3 * (a1 + a2) ** 2)
    want = T.armstrong_closed_form(t1, t2, a1, a2)
    sol = S.armstrong_solver(t1, t2, a1, a2, start=(0.5, 0.5))
    assert sol["pA"] == pytest.approx([want["p1"], want["p2"]], abs=2e-3)


def test_rochet_tirole_solver_and_price_structure_match_the_linear_closed_form():
    want = T.rochet_tirole_closed_form(c=0.3)
    sol = S.rochet_tirole_solver(c=0.3)
    assert sol["p_B"] == pytest.approx(want["p_B"], abs=0.005)
    assert sol["p_S"] == pytest.approx(want["p_S"], rel=0.02)
    rule = T.rochet_tirole_prices(lambda p: 1 - p, lambda p: 1 - p / 2, 0.3, start=(0.5, 0.5))
    assert (rule["p_B"], rule["p_S"]) == pytest.approx((want["p_B"], want["p_S"]), abs=1e-6)


@settings(max_examples=20, deadline=None, derandomize=True)
@given(B=st.floats(0.5, 2.0), S_=st.floats(0.5, 2.0), c=st.floats(0.0, 0.5))
def test_rochet_tirole_price_structure_for_any_linear_demands(B, S_, c):
    """Values uniform on [0, B] and [0, S]: p_B = B - m, p_S = S - m with m = (B + S - c) / 3."""
    m = (B + S_ - c) / 3
    assume(B - m > 0.05 and S_ - m > 0.05)
    rule = T.rochet_tirole_prices(lambda p: 1 - p / B, lambda p: 1 - p / S_, c, start=(B / 2, S_ / 2))
    assert (rule["p_B"], rule["p_S"]) == pytest.approx((B - m, S_ - m), abs=1e-6)
    p = rule["p_B"] + rule["p_S"]
    assert (p - c) / p == pytest.approx(1 / (rule["eta_B"] + rule["eta_S"]), rel=1e-6)
    assert rule["p_B"] / rule["eta_B"] == pytest.approx(rule["p_S"] / rule["eta_S"], rel=1e-6)


def test_katz_shapiro_outputs():
    """A = 1, v = 0.5, n = 2: output per firm 0.5 compatible vs 0.4 incompatible."""
    want = T.katz_shapiro_closed_form(1.0, 0.5, 2)
    assert want == {"compatible": 0.5, "incompatible": 0.4}
    comp = S.network_cournot_solver(1.0, 0.5, (0.0, 0.0), theta=1.0)
    inc = S.network_cournot_solver(1.0, 0.5, (0.0, 0.0), theta=0.0)
    assert comp["output"] == pytest.approx([0.5, 0.5], abs=1e-6)
    assert inc["output"] == pytest.approx([0.4, 0.4], abs=1e-6)


@settings(max_examples=30, deadline=None, derandomize=True)
@given(A=st.floats(0.5, 2.0), v=st.floats(0.05, 0.9), n=st.integers(2, 5))
def test_cournot_solver_matches_katz_shapiro_for_any_n(A, v, n):
    comp = S.network_cournot_solver(A, v, (0.0,) * n, theta=1.0)
    inc = S.network_cournot_solver(A, v, (0.0,) * n, theta=0.0)
    want = T.katz_shapiro_closed_form(A, v, n)
    assert comp["output"] == pytest.approx([want["compatible"]] * n, rel=1e-5)
    assert inc["output"] == pytest.approx([want["incompatible"]] * n, rel=1e-5)


def test_cournot_solver_larger_network_prefers_less_interconnection():
    """Cremer-Rey-Tirole: with installed bases 1.0 vs 0.2 the larger firm picks theta = 0, the smaller 1."""
    big, small = S.preferred_interconnection(1.0, 0.5, (1.0, 0.2))
    assert big == 0.0 and small == 1.0
    sol = S.network_cournot_solver(1.0, 0.5, (1.0, 0.2), theta=0.5)
    assert sol["output"] == pytest.approx(T.network_cournot_closed_form(1.0, 0.5, (1.0, 0.2), 0.5), abs=1e-6)
