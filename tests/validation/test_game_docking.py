"""Docking of the empirical game: known equilibria come out of games played on the model itself.

* A prisoner's dilemma built from a restricted model (scenarios/games/docking_exclusivity.toml):
  two identical networks, exclusivity pays alone, both pay a flat expected fine.  Known: one
  equilibrium, both exclusive, strict; both would earn more if neither were.
* Cremer-Rey-Tirole (2000) from the game (scenarios/games/docking_two_networks.toml): with
  interconnection (accepting the rival's wallet) chosen by each network, the larger network
  chooses less of it than the smaller one, in every equilibrium found.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from model import equilibria as eq
from model import game as G
from model.game_config import load_game

GAMES = Path(__file__).resolve().parents[2] / "scenarios" / "games"


def played(name: str, tmp_path_factory) -> tuple:
    g = load_game(GAMES / f"{name}.toml")
    return g, G.play(g, tmp_path_factory.mktemp(name), workers=2, progress=False)


@pytest.fixture(scope="module")
def dilemma(tmp_path_factory):
    return played("docking_exclusivity", tmp_path_factory)


def test_prisoners_dilemma_is_recovered(dilemma):
    g, result = dilemma
    (sol,) = result.solutions
    excl = [p.index("exclusive") for p in g.players]
    opened = [p.index("open") for p in g.players]
    nash = list(zip(*np.nonzero(sol.deviations.nash)))
    assert nash == [tuple(excl)], "the unique pure equilibrium is both exclusive"
    assert sol.deviations.status[tuple(excl)] == "strict"
    assert sol.mixed == [], "no mixed equilibrium: exclusivity is strictly dominant"
    U = result.payoffs[0]
    for i, p in enumerate(g.players):  # exclusivity pays whatever the rival does, beyond noise
        for other in range(2):
            prof_e = [other] * 2
            prof_o = [other] * 2
            prof_e[i], prof_o[i] = excl[i], opened[i]
            _, lo, _ = eq.mean_ci(U[(slice(None), *prof_e, i)] - U[(slice(None), *prof_o, i)])
            assert lo > 0, (p.name, other)
        # ... and yet both earn more when neither demands it: a dilemma, beyond noise
        _, lo, _ = eq.mean_ci(U[(slice(None), *opened, i)] - U[(slice(None), *excl, i)])
        assert lo > 0, p.name


@pytest.fixture(scope="module")
def interconnection(tmp_path_factory):
    return played("docking_two_networks", tmp_path_factory)


def test_larger_network_chooses_less_interconnection(interconnection):
    g, result = interconnection
    (sol,) = result.solutions
    big, small = g.players
    ob, os_ = big.index("open"), small.index("open")
    points = [p["weights"] for p in G.equilibrium_points(result, [sol])]
    assert points, "the game has an equilibrium"
    for w in points:  # probability that each network accepts the rival's wallet
        assert w[ob, :].sum() < w[:, os_].sum(), w
    # the larger network is the larger one in the game, and keeping its wall is its best
    # response to either choice of the smaller network, beyond noise
    share = result.metrics.index("pay_share_value_bigpay")
    assert result.outcomes[0][..., share].mean() > 0.5
    U = result.payoffs[0]
    for s in range(2):
        _, _, hi = eq.mean_ci(U[:, ob, s, 0] - U[:, 1 - ob, s, 0])
        assert hi < 0, s
