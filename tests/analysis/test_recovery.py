"""Parameter recovery and CI coverage over many simulated data sets (modest sizes so CI stays fast).

A wrong standard error (e.g. one ignoring the CM level) pushes coverage far outside the binomial band:
with 400 intervals at a true rate of .95 the band [0.92, 0.975] is about ±2.8 binomial SDs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.derive import derive_alliance
from analysis.fit import fit_model
from analysis.simulate import simulate_study
from analysis.spec import ModelSpec, Template

TRUE = {"A_pc": -1.0, "A_pmc": -2.0, "A_cmc": -3.0, "time": 0.0}
N_REPS = 100


def _t2_dataset(seed: int) -> pd.DataFrame:
    """Simulated alliance structure with an outcome that follows the T2 model exactly."""
    df, _ = simulate_study(n_cm=20, patients_per_cm=6, waves=4, seed=seed, transfer=0.0)
    d = derive_alliance(df, "A_p")
    rng = np.random.default_rng(10_000 + seed)
    u_cm = pd.Series(rng.normal(0, 1.0, d["cm_id"].nunique()), index=d["cm_id"].unique())
    u_dyad = pd.Series(rng.normal(0, 2.0, d["dyad_id"].nunique()), index=d["dyad_id"].unique())
    mean = 10 + sum(beta * d[term] for term, beta in TRUE.items())
    noise = d["cm_id"].map(u_cm) + d["dyad_id"].map(u_dyad) + rng.normal(0, 2.0, len(d))
    return df.assign(y=(mean + noise).to_numpy())


@pytest.mark.slow
def test_t2_estimates_centre_on_truth_and_cis_cover() -> None:
    spec = ModelSpec(template=Template.T2, random_slopes=False)
    est: dict[str, list[float]] = {t: [] for t in TRUE}
    hits: dict[str, list[bool]] = {t: [] for t in TRUE}
    for seed in range(N_REPS):
        result = fit_model(_t2_dataset(seed), spec)
        for term, beta in TRUE.items():
            fe = result.primary.coef(term)
            est[term].append(fe.estimate)
            hits[term].append(fe.ci_low <= beta <= fe.ci_high)
    for term, beta in TRUE.items():
        values = np.array(est[term])
        mc_se = values.std(ddof=1) / np.sqrt(N_REPS)
        assert abs(values.mean() - beta) < 3.5 * mc_se + 1e-3, (term, values.mean())
    overall = np.mean([h for term in TRUE for h in hits[term]])
    print({t: (round(float(np.mean(est[t])), 4), float(np.mean(hits[t]))) for t in TRUE}, overall)
    assert 0.92 <= overall <= 0.975, overall
    for term in TRUE:
        assert 0.86 <= np.mean(hits[term]) <= 1.0, (term, np.mean(hits[term]))


@pytest.mark.slow
def test_t1_recovers_simulator_growth_truth() -> None:
    """With alliance effects switched off the simulator's outcome is exactly the T1 model."""
    spec = ModelSpec(template=Template.T1, random_slopes=False, reml=False)
    slopes, hits = [], []
    for seed in range(30):
        df, truth = simulate_study(n_cm=15, patients_per_cm=6, waves=5, seed=seed, g_c=0.0, g_p=0.0, w=0.0,
                                   sd_slope_patient=0.0, transfer=0.0)  # fmt: skip
        fe = fit_model(df, spec).primary.coef("time")
        slopes.append(fe.estimate)
        hits.append(fe.ci_low <= truth.slope_per_month <= fe.ci_high)
    slopes_arr = np.array(slopes)
    print("T1 slope", slopes_arr.mean(), truth.slope_per_month, np.mean(hits))
    assert abs(slopes_arr.mean() - truth.slope_per_month) < 3.5 * slopes_arr.std(ddof=1) / np.sqrt(30)
    assert np.mean(hits) >= 0.83
