"""T5: heterogeneity of the within-dyad alliance effect across CMs, with a 95% prediction interval."""

from __future__ import annotations

import numpy as np
from scipy import stats

from analysis.engines.base import Design
from analysis.result import Estimand
from analysis.templates.common import DYAD_VC, LEVELS, Context, TemplateOutput, complete, run_design


def run(ctx: Context) -> TemplateOutput:
    """``y ~ time + A_pc + A_pmc``; CM intercept and A_pc slope correlated, dyad intercept (+ A_pc slope)."""
    out = TemplateOutput()
    y, t = ctx.spec.outcome, ctx.time
    within = "A_pc_dt" if ctx.spec.detrend else "A_pc"
    terms = [t, within, "A_pmc"]
    data = complete(ctx.data, [y, *terms, *ctx.spec.covariates])
    vc = {**DYAD_VC, "dyad_slope": f"0 + C(dyad_id):{within}"} if ctx.spec.random_slopes else DYAD_VC
    formula = f"{y} ~ {ctx.rhs(*terms)}"
    fit, model = run_design(
        ctx, Design("random_slopes", formula, data, "cm_id", f"~{within}", vc, LEVELS), primary=True
    )
    fit0, model0 = run_design(ctx, Design("fixed_slope", formula, data, "cm_id", "1", vc, LEVELS))
    out.models += [model, model0]
    beta = model.coef(within).estimate
    var_slope = float(fit.cov_re[1, 1]) + (fit.vcomp.get("dyad_slope", 0.0))
    sd = float(np.sqrt(max(var_slope, 0.0)))
    out.estimands += [
        Estimand(
            "sd_slope_cm", float(np.sqrt(max(fit.cov_re[1, 1], 0.0))), "SD of the alliance slope across CMs"
        ),
        Estimand("sd_slope_total", sd, "SD of the alliance slope across CMs and dyads"),
        Estimand(
            "prediction_interval_low", beta - 1.96 * sd, "95% prediction interval of the alliance effect"
        ),
        Estimand(
            "prediction_interval_high", beta + 1.96 * sd, "95% prediction interval of the alliance effect"
        ),
    ]
    lr = max(2.0 * (fit.llf - fit0.llf), 0.0)
    p = 0.5 * stats.chi2.sf(lr, 1) + 0.5 * stats.chi2.sf(lr, 2)
    out.estimands.append(
        Estimand(
            "lrt_cm_slope",
            lr,
            "LRT of CM slope variance + covariance, 50:50 χ²(1)/χ²(2) mixture",
            stat=lr,
            p=p,
        )
    )
    if ctx.spec.random_slopes:
        out.caveats.append(
            "Dyad intercept and alliance slope are independent, as in lme4's (1 + A_pc || cm:patient)."
        )
    return out
