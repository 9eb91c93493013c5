"""The memory estimate (model/resources.py) against the model's measured peak, and the refusal."""

from __future__ import annotations

import pytest

from model import resources
from model.config import ConfigError, load

from conftest import SCENARIOS


@pytest.mark.parametrize("scenario, overrides", [
    ("baseline.toml", {"size.consumers": 60_000, "size.social_degree": 6, "size.merchants": 2000}),  # state dominates
    ("link_interop.toml", {"size.consumers": 40_000, "size.social_degree": 48}),  # building the graph dominates
    ("docking/two_networks.toml", {"size.consumers": 50_000, "size.merchants": 30_000, "merchant.revision": 0.5}),
])
def test_estimate_is_close_to_the_measured_peak(scenario, overrides):
    cfg = load(SCENARIOS / scenario, overrides)
    estimate, measured = resources.run_bytes(cfg), resources.measure(cfg)
    assert 0.8 < estimate / measured < 1.25, (estimate, measured)


def test_estimate_grows_with_consumers_contacts_and_merchants():
    base = load(SCENARIOS / "baseline.toml")
    assert resources.run_bytes(load(SCENARIOS / "baseline.toml", {"size.consumers": 40_000})) > resources.run_bytes(base)
    big = load(SCENARIOS / "baseline.toml", {"size.consumers": 10_000_000, "size.social_degree": 64})
    assert 10e9 < resources.run_bytes(big) < 12e9  # the 10.8 GB for one run


def test_check_fits_refuses_with_the_figures_and_a_way_out():
    cfg = load(SCENARIOS / "baseline.toml", {"size.consumers": 1_000_000, "size.social_degree": 32})
    per_run = resources.run_bytes(cfg) + resources.BYTES_PER_PROCESS
    assert resources.check_fits([cfg], 2, available=2 * per_run) == 2 * per_run
    with pytest.raises(ConfigError) as err:
        resources.check_fits([cfg], 4, "batch", available=2 * per_run + 1)
    msg = str(err.value)
    assert msg.startswith("batch: not enough memory") and "x 4 at once" in msg and "use --workers 2 or fewer" in msg
    with pytest.raises(ConfigError, match="use fewer consumers"):
        resources.check_fits([cfg], 1, available=per_run // 2)
