"""T1: growth model with random slopes (CM and dyad level).

A 2-level dyad model adds the intercept–slope correlation that the 3-level statsmodels model cannot hold.
"""

from __future__ import annotations

from analysis.engines.base import Design
from analysis.result import Estimand
from analysis.templates.common import DYAD_VC, LEVELS, Context, TemplateOutput, complete, run_design


def run(ctx: Context) -> TemplateOutput:
    """``y ~ time``: CM intercept (+ slope), independent dyad intercept (+ slope) variance components."""
    out = TemplateOutput()
    y, t = ctx.spec.outcome, ctx.time
    data = complete(ctx.data, [y, t, *ctx.spec.covariates])
    slopes = ctx.spec.random_slopes
    vc = {**DYAD_VC, "dyad_slope": f"0 + C(dyad_id):{t}"} if slopes else DYAD_VC
    design = Design("growth", f"{y} ~ {ctx.rhs(t)}", data, "cm_id", f"~{t}" if slopes else "1", vc, LEVELS)
    fit, model = run_design(ctx, design, primary=True)
    out.models.append(model)
    if not slopes:
        return out
    v_cm_slope, v_dyad_slope = float(fit.cov_re[1, 1]), fit.vcomp["dyad_slope"]
    share = v_cm_slope / (v_cm_slope + v_dyad_slope) if v_cm_slope + v_dyad_slope > 0 else float("nan")
    out.estimands.append(Estimand("cm_share_of_slope_variance", share, "therapist effect on change"))
    two = Design("growth_2level", design.formula, data, "dyad_id", f"~{t}", {}, ("dyad_id",))
    fit2, model2 = run_design(ctx, two)
    out.models.append(model2)
    corr = float(fit2.cov_re[0, 1] / (fit2.cov_re[0, 0] * fit2.cov_re[1, 1]) ** 0.5)
    out.estimands.append(
        Estimand("dyad_int_slope_corr", corr, "dyad intercept–slope correlation (2-level model)")
    )
    out.caveats.append(
        "Closest expressible model: statsmodels cannot correlate the dyad intercept and slope "
        "inside the CM level (lme4: (1 + time | cm:patient)); they are independent variance "
        "components in 'growth'. The correlation comes from 'growth_2level', which ignores the CM level."
    )
    out.caveats.append("A random-slope LRT is on the boundary: use a 50:50 χ²(1)/χ²(2) mixture p-value.")
    return out
