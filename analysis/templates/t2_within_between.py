"""T2: alliance → outcome with within / between-dyad / between-CM disaggregation."""

from __future__ import annotations

from analysis.derive import icc_cm_means, level_sd
from analysis.engines.base import Design
from analysis.inference import contrast
from analysis.templates.common import (
    DYAD_VC,
    LEVELS,
    Context,
    TemplateOutput,
    complete,
    icc2_caveat,
    run_design,
    standardised,
)

TREND_CORRELATION = 0.1

TREND_CORRELATION = 0.1  # |r(A_pc, time)| above which the detrending caveat is shown


def run(ctx: Context) -> TemplateOutput:
    """``y ~ time + A_pc + A_pmc + A_cmc`` with CM and dyad intercepts (+ independent dyad time slope)."""
    out = TemplateOutput()
    y, t = ctx.spec.outcome, ctx.time
    within = "A_pc_dt" if ctx.spec.detrend else "A_pc"
    terms = [t, within, "A_pmc", "A_cmc"]
    data = complete(ctx.data, [y, *terms, *ctx.spec.covariates])
    vc = {**DYAD_VC, "dyad_slope": f"0 + C(dyad_id):{t}"} if ctx.spec.random_slopes else DYAD_VC
    design = Design("within_between", f"{y} ~ {ctx.rhs(*terms)}", data, "cm_id", "1", vc, LEVELS)
    fit, model = run_design(ctx, design, primary=True)
    out.models.append(model)
    out.estimands += [
        contrast(
            fit,
            {"A_pmc": 1, within: -1},
            "contextual_dyad",
            "between-dyad − within effect",
            ctx.spec.df_method,
        ),
        contrast(
            fit,
            {"A_cmc": 1, "A_pmc": -1},
            "contextual_cm",
            "between-CM − between-dyad effect",
            ctx.spec.df_method,
        ),
    ]
    sd_a, sd_y = level_sd(data, ctx.alliance), level_sd(data, y)
    for term, level in ((within, "occasion"), ("A_pmc", "dyad"), ("A_cmc", "cm")):
        beta = model.coef(term).estimate
        out.estimands.append(standardised(f"std_{term}", beta, sd_a[level], sd_y[level], level))
    icc1, icc2, _ = icc_cm_means(data, ctx.alliance)
    out.icc.update({"alliance_icc1": icc1, "alliance_icc2": icc2})
    out.caveats += [
        "A_pm averages over future occasions, so T2 is associational; use T4 for temporal order.",
        *icc2_caveat(icc2, ctx.alliance),
    ]
    if ctx.spec.random_slopes:
        out.caveats.append(
            "Closest expressible model: the dyad intercept and time slope are independent variance "
            "components (lme4's (1 + time | cm:patient) correlates them)."
        )
    trend = abs(float(data["A_pc"].corr(data[t])))
    if not ctx.spec.detrend and trend > TREND_CORRELATION:
        out.caveats.append(
            f"Alliance trends within dyads (r(A_pc, {t}) = {trend:.2f}); consider detrend=True "
            "(Wang & Maxwell 2015)."
        )
    return out
