"""The simulator: reproducible, documented columns, calibrated alliance structure, transfers."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from analysis.derive import icc_cm_means
from analysis.simulate import simulate_study

COLUMNS = ["site_id", "cm_id", "patient_id", "dyad_id", "occasion", "time", "A_p", "A_c", "y", "y_k10"]


def test_reproducible_and_seed_sensitive() -> None:
    a, ta = simulate_study(n_cm=6, patients_per_cm=4, seed=5)
    b, tb = simulate_study(n_cm=6, patients_per_cm=4, seed=5)
    c, _ = simulate_study(n_cm=6, patients_per_cm=4, seed=6)
    pd.testing.assert_frame_equal(a, b)
    assert ta == tb
    assert not a["y"].equals(c["y"])


def test_columns_ranges_and_truth() -> None:
    df, truth = simulate_study(n_cm=10, patients_per_cm=5, waves=6, seed=1, n_sites=2, clip_outcome=True)
    assert list(df.columns) == COLUMNS
    assert df["A_p"].between(1, 5).all()
    assert df["A_c"].between(1, 5).all()
    assert df["y_k10"].between(10, 50).all()
    assert (df["y"] >= 0).all()
    assert df["site_id"].nunique() == 2
    assert (df.groupby("dyad_id")["time"].min() == 0).all()
    assert truth.slope_per_month == pytest.approx(-1.0 / 3.0)
    assert truth.between_cm_slope_effect == pytest.approx(-0.30 / 0.22)
    with pytest.raises(dataclasses.FrozenInstanceError):
        truth.b0 = 1.0  # type: ignore[misc]


def test_missingness_and_transfers() -> None:
    full, _ = simulate_study(
        n_cm=10, patients_per_cm=5, waves=6, seed=2, dropout=0, missing_wave=0, transfer=0
    )
    assert len(full) == 10 * 5 * 6
    assert full["dyad_id"].nunique() == full["patient_id"].nunique()
    moved, _ = simulate_study(n_cm=10, patients_per_cm=5, waves=6, seed=2, transfer=0.5, n_sites=2)
    per_patient = moved.groupby("patient_id")["cm_id"].nunique()
    assert (per_patient > 1).sum() > 0
    assert moved["dyad_id"].nunique() == moved.groupby("patient_id")["cm_id"].nunique().sum()
    sites = moved.groupby("patient_id")["site_id"].nunique()
    assert (sites == 1).all()  # transfers stay within a site


def test_overrides_and_calibration() -> None:
    df, truth = simulate_study(n_cm=120, patients_per_cm=8, waves=6, seed=9, w=0.0)
    assert truth.w == 0.0
    icc1, icc2, _ = icc_cm_means(df, "A_p")
    # CM share of patient-mean alliance ≈ .22² / (.22² + .48² + .3²/k): about .15–.2 (models.md §4.4)
    assert 0.08 < icc1 < 0.3
    dyad = df.groupby("dyad_id")[["A_p", "A_c"]].mean()
    assert 0.3 < np.corrcoef(dyad["A_p"], dyad["A_c"])[0, 1] < 0.7  # dyad-level P–C r ≈ .5
