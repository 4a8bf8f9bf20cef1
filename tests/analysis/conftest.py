"""Fixtures for the analysis library tests (pure Python: no database, no R)."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.simulate import SimulationTruth, simulate_study


@pytest.fixture(scope="session")
def small_study() -> tuple[pd.DataFrame, SimulationTruth]:
    """~350 occasions: 12 CMs × 6 patients × 5 waves, with dropout, missing waves and transfers."""
    return simulate_study(n_cm=12, patients_per_cm=6, waves=5, seed=3, transfer=0.1)


@pytest.fixture
def small_frame(small_study: tuple[pd.DataFrame, SimulationTruth]) -> pd.DataFrame:
    """A fresh copy of the small study's data."""
    return small_study[0].copy()
