"""The Hotelling line of the docking restrictions (model.hotelling) and where the model uses it."""

from __future__ import annotations

import numpy as np
import pytest

from model import hotelling
from model.model import WalledGardens
from model.price_docking import ARMSTRONG


def test_positions_put_one_agent_in_each_cell_in_random_order():
    rng = np.random.default_rng(1)
    x = hotelling.positions(1000, rng)
    assert (np.sort(np.floor(x * 1000)) == np.arange(1000)).all()
    assert abs(np.corrcoef(np.arange(1000), x)[0, 1]) < 0.1  # not laid out along the index


def test_marketplaces_are_evenly_spaced_and_distances_absolute():
    assert hotelling.locations(3).tolist() == [0.0, 0.5, 1.0]
    assert hotelling.locations(1).tolist() == [0.0]
    assert hotelling.distances(np.array([0.2]), 2).ravel() == pytest.approx([0.2, 0.8])


def test_hotelling_tastes_and_merchant_positions_in_the_model():
    m = WalledGardens(ARMSTRONG, agents=False, overrides={"size.consumers": 500, "size.merchants": 100})
    t = m.cfg.consumer.taste_sd
    x = -m.consumers.taste[0] / t  # distance to the marketplace at 0 is the position
    assert (np.sort(np.floor(x * 500)) == np.arange(500)).all()
    assert m.consumers.taste[1] == pytest.approx(-t * (1 - x), abs=1e-5)
    assert (np.sort(np.floor(m.merchants.position * 100)) == np.arange(100)).all()


def test_without_the_restrictions_tastes_are_normal_and_merchants_have_no_position():
    m = WalledGardens(ARMSTRONG, agents=False, overrides={"size.consumers": 2000, "size.merchants": 100,
                                                          "consumer.taste_distribution": "normal",
                                                          "merchant.fixed_benefit": None})
    assert m.merchants.position is None
    assert m.consumers.taste.std() == pytest.approx(m.cfg.consumer.taste_sd, rel=0.05)
    assert (m.consumers.taste > 0).mean() == pytest.approx(0.5, abs=0.03)
