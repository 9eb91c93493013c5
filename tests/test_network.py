"""The social graph's fast neighbour counts equal the plain gather over contacts."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from model import bits, network
from model.network import SmallWorld


@settings(max_examples=40, deadline=None)
@given(n=st.integers(10, 400), degree=st.integers(1, 64), rewire=st.floats(0, 1), seed=st.integers(0, 2**32 - 1),
       cols=st.integers(1, 12))
def test_count_equals_gather_over_contacts(n, degree, rewire, seed, cols):
    rng = np.random.default_rng(seed)
    g = SmallWorld(n, degree, rng, rewire=rewire)
    assert g.contacts.shape == (n, degree) and g.contacts.min() >= 0 and g.contacts.max() < n
    x = rng.random((n, cols)) < 0.5
    expected = x[g.contacts].sum(axis=1)
    assert (g.count(bits.pack(x.T), x.shape[1]) == expected.T).all()
    rows = np.flatnonzero(rng.random(n) < 0.3)
    assert (g.count(bits.pack(x.T), x.shape[1], rows) == expected[rows].T).all()


def test_rewiring_share_and_lattice():
    g = SmallWorld(20_000, 10, np.random.default_rng(0), rewire=0.1)
    lattice = (np.arange(20_000)[:, None] + g.offsets[None, :]) % 20_000
    assert abs((g.contacts != lattice).mean() - 0.1) < 0.01
    assert sorted(g.offsets.tolist()) == [-5, -4, -3, -2, -1, 1, 2, 3, 4, 5]


@pytest.mark.parametrize("n, degree", [(3000, 30), (20_000, 10)])
def test_count_over_many_slots_gathers_slot_by_slot_with_the_same_result(n, degree):
    rng = np.random.default_rng(n)
    g = SmallWorld(n, degree, rng)
    x = rng.random((n, 7)) < 0.4
    expected = x[g.contacts].sum(axis=1)
    assert g.slots.size > network._ONE_GATHER  # the slot-by-slot branch
    assert (g.count(bits.pack(x.T), x.shape[1]) == expected.T).all()
    rows = np.flatnonzero(rng.random(n) < 0.8)
    assert g.slots[:, rows].size > network._ONE_GATHER
    assert (g.count(bits.pack(x.T), x.shape[1], rows) == expected[rows].T).all()


def test_more_contacts_than_a_byte_counter_holds_are_counted_not_wrapped():
    """One-byte counters hold 255 contacts; SmallWorld(1000, 300) must count 300, not 300 - 256."""
    rng = np.random.default_rng(0)
    g = SmallWorld(1000, 300, rng)
    x = np.ones((3, 1000), bool)
    assert (g.count(bits.pack(x), 3) == 300).all()
    assert (g.count(bits.pack(x), 3, np.arange(0, 1000, 7)) == 300).all()
    y = rng.random((3, 1000)) < 0.5
    assert (g.count(bits.pack(y), 3) == network.count_reference(y, g.contacts)).all()
