"""Every template runs end to end and returns the estimands, diagnostics and caveats it promises."""

from __future__ import annotations

import math
import warnings

import pandas as pd
import pytest

from analysis.fit import fit_model
from analysis.result import ModelResult
from analysis.simulate import SimulationTruth
from analysis.spec import ModelSpec, Template


@pytest.fixture(scope="module")
def results(small_study: tuple[pd.DataFrame, SimulationTruth]) -> dict[Template, ModelResult]:
    data = small_study[0]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no statsmodels/pandas warning may escape the library
        return {t: fit_model(data, ModelSpec(template=t)) for t in Template}


def _coef(result: ModelResult, term: str, model: str | None = None) -> float:
    m = result.model(model) if model else result.primary
    return m.coef(term).estimate


def test_every_template_is_complete(results: dict[Template, ModelResult]) -> None:
    for template, result in results.items():
        assert result.template == template.value
        assert result.sample.n_cms == 12
        for model in result.models:
            assert model.diagnostics.converged, (template, model.name, model.diagnostics)
            assert model.fit.aic_ml is not None
            assert math.isfinite(model.fit.aic_ml)
            assert model.fit.method == "REML"
            assert model.fit.reml_criterion == pytest.approx(-2 * model.fit.loglik)
            for fe in model.fixed_effects:
                assert fe.se > 0
                assert fe.ci_low < fe.estimate < fe.ci_high
                assert fe.stat_name == "t"
                assert fe.df is not None
                assert fe.df >= 1
        assert str(result).startswith(f"Template {template.value}")


def test_t0_variance_partition(results: dict[Template, ModelResult]) -> None:
    r = results[Template.T0]
    assert [m.name for m in r.models] == ["outcome", "alliance_A_p", "alliance_A_c"]
    assert 0 <= r.icc["outcome_cm"] <= r.icc["outcome_dyad"] <= 1
    assert "alliance_A_p_icc2" in r.icc
    assert r.estimand("design_effect_outcome").estimate >= 1


def test_t1_growth(results: dict[Template, ModelResult]) -> None:
    r = results[Template.T1]
    assert _coef(r, "time") < 0  # HoNOS-like outcome improves
    assert -1 <= r.estimand("dyad_int_slope_corr").estimate <= 1
    assert any("Closest expressible model" in c for c in r.caveats)
    assert {vc.group for vc in r.primary.variance_components} >= {"cm_id", "dyad", "dyad_slope", "residual"}


def test_t2_contextual_effects(results: dict[Template, ModelResult]) -> None:
    r = results[Template.T2]
    ctx = r.estimand("contextual_dyad")
    assert ctx.estimate == pytest.approx(_coef(r, "A_pmc") - _coef(r, "A_pc"))
    assert ctx.se is not None
    assert ctx.p is not None
    assert ctx.ci_low is not None
    assert r.estimand("contextual_cm").estimate == pytest.approx(_coef(r, "A_cmc") - _coef(r, "A_pmc"))
    for name in ("std_A_pc", "std_A_pmc", "std_A_cmc"):
        assert math.isfinite(r.estimand(name).estimate)
    fe = r.primary.coef("A_pc")
    assert fe.r_equivalent == pytest.approx(fe.stat / math.sqrt(fe.stat**2 + fe.df))
    assert any("associational" in c for c in r.caveats)
    assert any("ICC2" in c for c in r.caveats) == (r.icc["alliance_icc2"] < 0.7)


def test_t3_cm_vs_patient(results: dict[Template, ModelResult]) -> None:
    r = results[Template.T3]
    assert [m.name for m in r.models] == ["cm_vs_patient", "baseline"]
    assert r.estimand("b_cm_minus_b_patient").estimate == pytest.approx(
        _coef(r, "A_cm_c") - _coef(r, "A_dev")
    )
    assert r.primary.fit.n_obs <= r.sample.n_dyads
    assert r.estimand("n_cms_small_caseload").estimate >= 0


def test_t4_both_paths(results: dict[Template, ModelResult]) -> None:
    r = results[Template.T4]
    assert [m.name for m in r.models] == ["forward", "reverse"]
    assert r.estimand("cross_lag_alliance_to_outcome").estimate == _coef(r, "A_pc_lag", "forward")
    assert r.estimand("cross_lag_outcome_to_alliance").estimate == _coef(r, "y_pc_lag", "reverse")
    assert any("Nickell" in c for c in r.caveats)  # 5 waves minus dropout: short panels


def test_t5_prediction_interval(results: dict[Template, ModelResult]) -> None:
    r = results[Template.T5]
    beta, sd = _coef(r, "A_pc"), r.estimand("sd_slope_total").estimate
    assert r.estimand("prediction_interval_low").estimate == pytest.approx(beta - 1.96 * sd)
    assert r.estimand("prediction_interval_high").estimate == pytest.approx(beta + 1.96 * sd)
    lrt = r.estimand("lrt_cm_slope")
    assert lrt.p is not None
    assert 0 <= lrt.p <= 1


def test_t6_response_surface(results: dict[Template, ModelResult]) -> None:
    r = results[Template.T6]
    b = {fe.term: fe.estimate for fe in r.primary.fixed_effects}
    assert r.estimand("a1").estimate == pytest.approx(b["Pr"] + b["Cr"])
    assert r.estimand("a2").estimate == pytest.approx(b["Pr_sq"] + b["Pr_Cr"] + b["Cr_sq"])
    assert r.estimand("a3").estimate == pytest.approx(b["Pr"] - b["Cr"])
    assert r.estimand("a4").estimate == pytest.approx(b["Pr_sq"] - b["Pr_Cr"] + b["Cr_sq"])
    assert r.estimand("mean_difference_p_minus_c").estimate > 0  # patients rate higher
    assert 0 < r.estimand("r_dyad").estimate < 1


def test_spec_options(small_frame: pd.DataFrame) -> None:
    frame = small_frame.assign(sev=small_frame.groupby("patient_id")["y"].transform("first"))
    spec = ModelSpec(
        template=Template.T2,
        alliance_rater="case_manager",
        time_metric="occasion",
        covariates=("sev",),
        random_slopes=False,
        reml=False,
        detrend=True,
        winsorize=0.05,
        df_method="z",
    )
    r = fit_model(frame, spec)
    terms = [fe.term for fe in r.fixed_effects]
    assert terms == ["Intercept", "occasion", "A_pc_dt", "A_pmc", "A_cmc", "sev"]
    assert all(fe.stat_name == "z" and fe.df is None for fe in r.fixed_effects)
    assert r.primary.fit.method == "ML"
    assert r.primary.fit.reml_criterion is None
    assert any("winsorised" in c for c in r.caveats)


def test_t4_longer_lag(small_frame: pd.DataFrame) -> None:
    r1 = fit_model(small_frame, ModelSpec(template=Template.T4, reml=False))
    r2 = fit_model(small_frame, ModelSpec(template=Template.T4, reml=False, lag=2))
    assert r2.primary.fit.n_obs < r1.primary.fit.n_obs


def test_bootstrap_cis_for_primary_model(small_frame: pd.DataFrame) -> None:
    spec = ModelSpec(template=Template.T0, vc_ci="bootstrap", n_boot=20, seed=11, reml=False)
    r = fit_model(small_frame, spec)
    for vc in r.primary.variance_components:
        assert vc.ci_low is not None
        assert vc.ci_high is not None
        assert vc.ci_low <= vc.ci_high
        assert vc.ci_method is not None
        assert vc.ci_method.startswith("parametric bootstrap (n=20")
    resid = r.primary.variance("residual", "residual")
    assert resid.ci_low < resid.estimate < resid.ci_high
    assert all(vc.ci_low is None for vc in r.model("alliance_A_p").variance_components)
    again = fit_model(small_frame, spec)
    assert again.primary.variance_components == r.primary.variance_components
