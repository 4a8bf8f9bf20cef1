"""Shared machinery for templates: run a design, summarise it, standard caveats."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from analysis.engines.base import Design, Engine, EngineFit
from analysis.errors import EngineError
from analysis.inference import fixed_effect_table
from analysis.result import (
    CapturedWarningRecord,
    Diagnostics,
    Estimand,
    FitIndices,
    FittedModel,
    VarianceComponent,
)
from analysis.spec import ModelSpec

LEVELS = ("cm_id", "dyad_id")
DYAD_VC = {"dyad": "0 + C(dyad_id)"}
ICC2_THRESHOLD = 0.7
SINGULAR_SD_RATIO = 1e-4  # lme4's isSingular tolerance on the relative SD
BOUNDARY_SD_RATIO = 1e-2


@dataclass(frozen=True)
class Context:
    """Prepared (validated, derived) data, spec and engine for one template run."""

    data: pd.DataFrame
    spec: ModelSpec
    engine: Engine

    @property
    def time(self) -> str:
        """Column used as the time axis."""
        return self.spec.time_metric.column

    @property
    def alliance(self) -> str:
        """Raw alliance column of the chosen rater."""
        return self.spec.alliance_rater.column

    def rhs(self, *terms: str) -> str:
        """Right-hand side with the spec's covariates appended."""
        return " + ".join([*terms, *self.spec.covariates])


@dataclass
class TemplateOutput:
    """What a template returns before the orchestrator adds sample and provenance."""

    models: list[FittedModel] = field(default_factory=list)
    estimands: list[Estimand] = field(default_factory=list)
    icc: dict[str, float] = field(default_factory=dict)
    caveats: list[str] = field(default_factory=list)


def complete(df: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Rows with no missing value in ``columns`` (listwise deletion per model)."""
    return df.dropna(subset=list(dict.fromkeys(columns))).reset_index(drop=True)


def run_design(
    ctx: Context, design: Design, reml: bool | None = None, primary: bool = False
) -> tuple[EngineFit, FittedModel]:
    """Fit ``design`` (REML or ML per spec), refit by ML for AIC/BIC if needed, and summarise.

    For the template's ``primary`` model, variance components get parametric-bootstrap CIs when the spec asks.
    """
    use_reml = ctx.spec.reml if reml is None else reml
    fit = ctx.engine.fit(design, reml=use_reml)
    k, n = fit.n_params, fit.n_obs
    ml: EngineFit | None = fit
    note = None
    if use_reml:
        try:
            ml = ctx.engine.fit(design, reml=False, start=fit.start)
        except EngineError as exc:
            ml, note = None, f"AIC/BIC unavailable: the ML refit failed ({exc})"
    if ml is not None and not ml.converged:
        note = "ML refit for AIC/BIC did not converge; AIC/BIC are approximate"
    indices = FitIndices(
        method="REML" if use_reml else "ML",
        n_obs=n,
        n_groups=fit.n_groups,
        n_params=k,
        loglik=fit.llf,
        reml_criterion=-2.0 * fit.llf if use_reml else None,
        loglik_ml=ml.llf if ml else None,
        aic_ml=-2.0 * ml.llf + 2.0 * k if ml else None,
        bic_ml=-2.0 * ml.llf + k * float(np.log(n)) if ml else None,
        note=note,
    )
    comps = variance_components(fit)
    if primary and ctx.spec.vc_ci == "bootstrap":
        comps = with_bootstrap_cis(ctx, fit, comps)
    ratios = [vc.sd / np.sqrt(fit.scale) for vc in comps if vc.kind == "variance" and vc.group != "residual"]
    corr_edge = any(abs(vc.estimate) > 0.999 for vc in comps if vc.kind == "correlation")
    warns = (*fit.warnings, *(ml.warnings if ml is not None and ml is not fit else ()))
    diagnostics = Diagnostics(
        converged=fit.converged,
        optimizer=fit.optimizer,
        n_iter=fit.n_iter,
        max_grad=fit.max_grad,
        boundary=any(r < BOUNDARY_SD_RATIO for r in ratios) or corr_edge,
        singular=any(r < SINGULAR_SD_RATIO for r in ratios) or corr_edge,
        hessian_pd=fit.hessian_pd,
        warnings=tuple(CapturedWarningRecord(w.category, w.message, w.count) for w in warns),
    )
    model = FittedModel(
        name=design.name,
        formula=design.formula,
        random_part=random_part(design),
        fixed_effects=fixed_effect_table(fit, ctx.spec.df_method),
        variance_components=comps,
        fit=indices,
        diagnostics=diagnostics,
    )
    return fit, model


def random_part(design: Design) -> str:
    """Human-readable random structure."""
    parts = [f"groups={design.groups or 'all'}", f"re=~{(design.re_formula or '1').lstrip('~').strip()}"]
    parts += [f"vc[{k}]={v}" for k, v in design.vc_formula.items()]
    return "; ".join(parts)


def variance_components(fit: EngineFit) -> tuple[VarianceComponent, ...]:
    """Variances (with SDs) and correlations of the fit, residual last."""
    group = fit.design.groups or "all"
    out: list[VarianceComponent] = []
    for i, name in enumerate(fit.re_names):
        var = float(fit.cov_re[i, i])
        out.append(VarianceComponent(group, name, "variance", var, sd=float(np.sqrt(max(var, 0.0)))))
    for i in range(len(fit.re_names)):
        for j in range(i + 1, len(fit.re_names)):
            den = np.sqrt(fit.cov_re[i, i] * fit.cov_re[j, j])
            if den > 0:
                corr = float(fit.cov_re[i, j] / den)
                out.append(
                    VarianceComponent(group, f"{fit.re_names[i]}~{fit.re_names[j]}", "correlation", corr)
                )
    for name, var in fit.vcomp.items():
        out.append(VarianceComponent(name, name, "variance", var, sd=float(np.sqrt(max(var, 0.0)))))
    out.append(VarianceComponent("residual", "residual", "variance", fit.scale, sd=float(np.sqrt(fit.scale))))
    return tuple(out)


def with_bootstrap_cis(
    ctx: Context, fit: EngineFit, comps: tuple[VarianceComponent, ...]
) -> tuple[VarianceComponent, ...]:
    """Percentile 95% CIs from ``spec.n_boot`` parametric-bootstrap refits (seeded by ``spec.seed``)."""
    draws, failed = ctx.engine.bootstrap_variances(fit, ctx.spec.n_boot, ctx.spec.seed)
    lo, hi = np.nanpercentile(draws, [2.5, 97.5], axis=0)
    method = f"parametric bootstrap (n={ctx.spec.n_boot}, {failed} not converged)"
    # variance_components lists variances, correlations, vc, residual — the bootstrap vector's order
    return tuple(
        replace(vc, ci_low=float(a), ci_high=float(b), ci_method=method)
        for vc, a, b in zip(comps, lo, hi, strict=True)
    )


def icc2_caveat(icc2: float, what: str) -> list[str]:
    """Caveat text when CM means are unreliable."""
    if np.isfinite(icc2) and icc2 < ICC2_THRESHOLD:
        return [
            f"CM means of {what} are unreliable (ICC2 = {icc2:.2f} < {ICC2_THRESHOLD}); between-CM "
            "effects are attenuated. A latent-mean (multilevel SEM) model would correct this."
        ]
    return []


def standardised(name: str, estimate: float, sd_x: float, sd_y: float, level: str) -> Estimand:
    """β × SD(predictor at level) / SD(outcome at level)."""
    value = estimate * sd_x / sd_y if sd_y > 0 else float("nan")
    return Estimand(name, float(value), f"standardised effect at the {level} level (β·SDx/SDy)")
