"""T6: patient vs CM alliance — response surface (a1–a4) and dyad-level agreement."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.engines.base import Design
from analysis.inference import contrast
from analysis.result import Estimand
from analysis.templates.common import DYAD_VC, LEVELS, Context, TemplateOutput, complete, run_design

RSA = {
    "a1": ({"Pr": 1, "Cr": 1}, "slope along the line of congruence (P = C)"),
    "a2": ({"Pr_sq": 1, "Pr_Cr": 1, "Cr_sq": 1}, "curvature along congruence"),
    "a3": ({"Pr": 1, "Cr": -1}, "slope along the line of incongruence (P = −C)"),
    "a4": ({"Pr_sq": 1, "Pr_Cr": -1, "Cr_sq": 1}, "curvature along incongruence"),
}


def run(ctx: Context) -> TemplateOutput:
    """Polynomial RSA of the outcome on both ratings (common centre) plus a bivariate agreement model."""
    out = TemplateOutput()
    y, t = ctx.spec.outcome, ctx.time
    data = complete(ctx.data, [y, t, "A_p", "A_c", *ctx.spec.covariates])
    centre = float(pd.concat([data["A_p"], data["A_c"]]).mean())
    data = data.assign(Pr=data["A_p"] - centre, Cr=data["A_c"] - centre)
    data = data.assign(Pr_sq=data["Pr"] ** 2, Pr_Cr=data["Pr"] * data["Cr"], Cr_sq=data["Cr"] ** 2)
    terms = [t, "Pr", "Cr", "Pr_sq", "Pr_Cr", "Cr_sq"]
    fit, model = run_design(
        ctx,
        Design("response_surface", f"{y} ~ {ctx.rhs(*terms)}", data, "cm_id", "1", DYAD_VC, LEVELS),
        primary=True,
    )
    out.models.append(model)
    for name, (weights, text) in RSA.items():
        out.estimands.append(contrast(fit, weights, name, text, ctx.spec.df_method))
    long = data.melt(
        id_vars=["cm_id", "dyad_id", "time"], value_vars=["A_p", "A_c"], var_name="rater", value_name="A"
    )
    long["is_p"] = (long["rater"] == "A_p").astype(float)
    long["is_c"] = 1.0 - long["is_p"]
    agree = Design("agreement", "A ~ 0 + is_p + is_c", long, "dyad_id", "0 + is_p + is_c", {}, ("dyad_id",))
    fit_a, model_a = run_design(ctx, agree)
    out.models.append(model_a)
    diff = contrast(
        fit_a,
        {"is_p": 1, "is_c": -1},
        "mean_difference_p_minus_c",
        "patient − CM mean rating",
        ctx.spec.df_method,
    )
    pooled_sd = float(np.sqrt((data["A_p"].var() + data["A_c"].var()) / 2))
    cv = fit_a.cov_re
    r_dyad = float(cv[0, 1] / np.sqrt(cv[0, 0] * cv[1, 1])) if cv[0, 0] * cv[1, 1] > 0 else float("nan")
    dev = data[["A_p", "A_c"]] - data.groupby("dyad_id")[["A_p", "A_c"]].transform("mean")
    out.estimands += [
        diff,
        Estimand(
            "d_p_minus_c", diff.estimate / pooled_sd, "standardised mean difference (pooled SD of ratings)"
        ),
        Estimand("r_dyad", r_dyad, "dyad-level patient–CM correlation of true ratings"),
        Estimand(
            "r_within",
            float(dev["A_p"].corr(dev["A_c"])),
            "occasion-level agreement of within-dyad deviations",
        ),
    ]
    out.caveats += [
        f"Both ratings centred at the pooled grand mean {centre:.3f}; they must share a metric (item means).",
        "Agreement model: statsmodels shares one residual variance across raters (lme4/nlme "
        "varIdent would not).",
        "RSA uses raw ratings; a within/between split of each rating (Rubel et al.) is not yet offered.",
    ]
    return out
