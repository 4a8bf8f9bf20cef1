"""Engine behaviour: lme4-style standard errors, captured warnings, optimiser fallbacks."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from analysis.engines import Design, StatsmodelsEngine, get_engine
from analysis.errors import EngineError

FIXTURES = "tests/analysis/fixtures"


VC = {"dyad": "0 + C(dyad_id)", "dyad_slope": "0 + C(dyad_id):time"}


@pytest.fixture(scope="module")
def t2_design() -> Design:
    data = pd.read_csv(f"{FIXTURES}/design_sim_a_T2_within_between.csv")
    return Design("t2", "y ~ time + A_pc + A_pmc + A_cmc", data, "cm_id", "1", VC, ("cm_id", "dyad_id"))


def test_fixed_effect_se_is_lme4s_not_full_hessian(t2_design: Design) -> None:
    """σ²(X'V⁻¹X)⁻¹ matches lme4; statsmodels' bse_fe (full-Hessian inverse) is ~1% off at the same
    optimum."""
    fit = StatsmodelsEngine().fit(t2_design, reml=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = smf.mixedlm(t2_design.formula, t2_design.data, groups="cm_id", re_formula="1", vc_formula=VC)
        sm = model.fit(reml=True, start_params=fit.start)
    lme4 = np.array(
        list(
            json.loads(Path(FIXTURES, "lme4_reference.json").read_text())["sim_a_T2_within_between"][
                "se"
            ].values()
        )
    )
    np.testing.assert_allclose(fit.fe_params, sm.fe_params.to_numpy(), rtol=1e-6)
    assert np.max(np.abs(np.sqrt(np.diag(fit.fe_vcov)) / lme4 - 1)) < 1e-5
    assert np.max(np.abs(sm.bse_fe.to_numpy() / lme4 - 1)) > 5e-3


def test_warnings_are_captured(t2_design: Design) -> None:
    tiny = t2_design.data[t2_design.data["cm_id"].isin(t2_design.data["cm_id"].unique()[:4])]
    design = Design("boundary", "y ~ time", tiny, "cm_id", "~time", {"dyad": "0 + C(dyad_id)"}, ("cm_id",))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fit = get_engine("statsmodels").fit(design, reml=True)
    assert fit.warnings, "a near-singular random slope should produce captured warnings"
    assert all(w.count >= 1 and w.category for w in fit.warnings)


def test_ml_warm_start_reaches_same_optimum(t2_design: Design) -> None:
    engine = StatsmodelsEngine()
    reml = engine.fit(t2_design, reml=True)
    cold = engine.fit(t2_design, reml=False)
    warm = engine.fit(t2_design, reml=False, start=reml.start)
    assert warm.llf == pytest.approx(cold.llf, abs=1e-6)
    np.testing.assert_allclose(warm.fe_params, cold.fe_params, rtol=1e-5)


def test_bad_formula_raises_engine_error(t2_design: Design) -> None:
    design = Design("bad", "y ~ nonexistent", t2_design.data, "cm_id")
    with pytest.raises(EngineError):
        StatsmodelsEngine().fit(design, reml=True)


def test_never_lbfgs_first() -> None:
    from analysis.engines.optimise import DEFAULT_METHODS

    assert DEFAULT_METHODS[0] == "bfgs"


def test_fast_vc_design_matches_statsmodels_formula(t2_design: Design) -> None:
    """The numpy-built variance components give statsmodels' own likelihood, term for term."""
    data = t2_design.data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference = smf.mixedlm(t2_design.formula, data, groups="cm_id", re_formula="~1", vc_formula=VC)
        fast = StatsmodelsEngine._build(t2_design)
    for model in (fast, reference):  # attributes statsmodels sets in fit(), needed by loglike()
        model.reml, model.cov_pen, model.fe_pen, model._freepat, model._cov_sing = True, None, None, None, 0
    assert fast.exog_vc.names == reference.exog_vc.names
    assert fast.exog_names == reference.exog_names
    for x in (np.array([0.5, 1.0, 0.1]), np.array([0.2, 2.0, 0.3])):
        assert fast.loglike(x, profile_fe=True) == pytest.approx(
            reference.loglike(x, profile_fe=True), rel=1e-12
        )


def test_unsupported_vc_formula_falls_back(t2_design: Design) -> None:
    design = Design("fallback", "y ~ time", t2_design.data, "cm_id", "1", {"dyad": "0 + C(dyad_id) + A_pc"})
    assert StatsmodelsEngine._build(design).k_vc == 1
