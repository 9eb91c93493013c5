"""Shared fixtures: small, fast model sizes for tests."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
SMALL = {"size.consumers": 2000, "size.merchants": 200}


@pytest.fixture
def small() -> dict:
    return dict(SMALL)


@pytest.fixture(scope="session")
def scenario_dir() -> Path:
    return SCENARIOS
