"""Derived variables against hand-computed values on tiny frames."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.derive import add_lags, derive_alliance, derive_outcome, icc_cm_means, level_sd, winsorize


@pytest.fixture
def tiny() -> pd.DataFrame:
    # CM a: d1 = [3, 5], d2 = [2]; CM b: d3 = [1, 3, 2] at t = 0, 1, 2
    return pd.DataFrame(
        {
            "cm_id": ["a", "a", "a", "b", "b", "b"],
            "patient_id": ["p1", "p1", "p2", "p3", "p3", "p3"],
            "dyad_id": ["d1", "d1", "d2", "d3", "d3", "d3"],
            "time": [0.0, 1.0, 0.0, 0.0, 1.0, 2.0],
            "A_p": [3.0, 5.0, 2.0, 1.0, 3.0, 2.0],
            "y": [10.0, 8.0, 12.0, 20.0, 18.0, 16.0],
        }
    )


def test_means_and_centring(tiny: pd.DataFrame) -> None:
    d = derive_alliance(tiny, "A_p")
    np.testing.assert_allclose(d["A_pm"], [4, 4, 2, 2, 2, 2])
    np.testing.assert_allclose(d["A_pc"], [-1, 1, 0, -1, 1, 0])
    # CM mean of dyad means (dyads weigh equally): a = (4 + 2) / 2 = 3, not the occasion mean 10/3
    np.testing.assert_allclose(d["A_cm"], [3, 3, 3, 2, 2, 2])
    np.testing.assert_allclose(d["A_pmc"], [1, 1, -1, 0, 0, 0])
    np.testing.assert_allclose(d["A_cmc"], [0.5, 0.5, 0.5, -0.5, -0.5, -0.5])
    np.testing.assert_allclose(d["A_pc"] + d["A_pmc"] + d["A_cmc"] + 2.5, d["A_p"])


def test_detrended_within_deviation(tiny: pd.DataFrame) -> None:
    d = derive_alliance(tiny, "A_p")
    # d3: centred t = [-1, 0, 1], centred A = [-1, 1, 0], slope 0.5, residual [-0.5, 1, -0.5]
    np.testing.assert_allclose(d["A_pc_dt"].iloc[3:], [-0.5, 1.0, -0.5])
    # two points are fitted exactly; a single point keeps its (zero) deviation
    np.testing.assert_allclose(d["A_pc_dt"].iloc[:3], [0, 0, 0], atol=1e-12)


def test_lags_stay_within_dyad(tiny: pd.DataFrame) -> None:
    d = add_lags(derive_alliance(tiny, "A_p").iloc[::-1], ["A_pc", "y"])
    d = d.sort_index()
    np.testing.assert_allclose(d["A_pc_lag"], [np.nan, -1, np.nan, np.nan, -1, 1])
    np.testing.assert_allclose(d["y_lag"], [np.nan, 10, np.nan, np.nan, 20, 18])
    d2 = add_lags(tiny, ["y"], lag=2)
    np.testing.assert_allclose(d2["y_lag"], [np.nan, np.nan, np.nan, np.nan, np.nan, 20])


def test_outcome_decomposition(tiny: pd.DataFrame) -> None:
    d = derive_outcome(tiny, "y")
    np.testing.assert_allclose(d["y_pm"], [9, 9, 12, 18, 18, 18])
    np.testing.assert_allclose(d["y_pc"], [1, -1, 0, 2, 0, -2])
    np.testing.assert_allclose(d["y_pmc"], [-1.5, -1.5, 1.5, 0, 0, 0])
    np.testing.assert_allclose(d["y_cmc"], [-3.75, -3.75, -3.75, 3.75, 3.75, 3.75])


def test_icc_of_cm_means_by_hand() -> None:
    # 3 CMs × 2 single-occasion dyads: MSB = 8, MSW = .5, k0 = 2
    df = pd.DataFrame(
        {"cm_id": list("aabbcc"), "dyad_id": list("123456"), "A_p": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]}
    )
    icc1, icc2, k0 = icc_cm_means(df, "A_p")
    assert k0 == pytest.approx(2.0)
    assert icc1 == pytest.approx(7.5 / 8.5)
    assert icc2 == pytest.approx(7.5 / 8.0)
    assert icc2 == pytest.approx(2 * icc1 / (1 + icc1))  # Spearman–Brown with k = 2


def test_icc_undefined_with_single_dyads() -> None:
    df = pd.DataFrame({"cm_id": ["a", "b"], "dyad_id": ["1", "2"], "A_p": [1.0, 2.0]})
    assert all(np.isnan(v) for v in icc_cm_means(df, "A_p"))


def test_winsorize_and_level_sd(tiny: pd.DataFrame) -> None:
    w = winsorize(pd.Series(np.arange(101.0)), 0.05)
    assert (w.min(), w.max()) == (5.0, 95.0)
    sds = level_sd(tiny, "A_p")
    assert sds["cm"] == pytest.approx(np.std([0.5, -0.5], ddof=1))
    assert sds["occasion"] == pytest.approx(np.std([-1, 1, 0, -1, 1, 0], ddof=1))


def test_inputs_not_modified(tiny: pd.DataFrame) -> None:
    before = tiny.copy()
    derive_alliance(tiny, "A_p")
    add_lags(tiny, ["y"])
    pd.testing.assert_frame_equal(tiny, before)
