"""T4: lagged within-dyad alliance → next-occasion outcome, and the reverse path, in one run."""

from __future__ import annotations

import numpy as np

from analysis.derive import add_lags, derive_outcome
from analysis.engines.base import Design
from analysis.result import Estimand
from analysis.templates.common import DYAD_VC, LEVELS, Context, TemplateOutput, complete, run_design

SHORT_PANEL = 5


def run(ctx: Context) -> TemplateOutput:
    """Forward ``y ~ y_lag + A_pc_lag + A_pmc + A_cmc + time`` and its reverse path.

    The reverse model is ``A ~ A_lag + y_pc_lag + y_pmc + y_cmc + time`` on the same occasions.
    """
    out = TemplateOutput()
    y, a, t, lag = ctx.spec.outcome, ctx.alliance, ctx.time, ctx.spec.lag
    within = "A_pc_dt" if ctx.spec.detrend else "A_pc"
    data = add_lags(derive_outcome(ctx.data, y), [y, a, within, f"{y}_pc"], lag=lag)
    fwd_terms = [f"{y}_lag", f"{within}_lag", "A_pmc", "A_cmc", t]
    rev_terms = [f"{a}_lag", f"{y}_pc_lag", f"{y}_pmc", f"{y}_cmc", t]
    fwd_data = complete(data, [y, *fwd_terms, *ctx.spec.covariates])
    rev_data = complete(data, [a, *rev_terms, *ctx.spec.covariates])
    fwd = Design("forward", f"{y} ~ {ctx.rhs(*fwd_terms)}", fwd_data, "cm_id", "1", DYAD_VC, LEVELS)
    rev = Design("reverse", f"{a} ~ {ctx.rhs(*rev_terms)}", rev_data, "cm_id", "1", DYAD_VC, LEVELS)
    _, m_fwd = run_design(ctx, fwd, primary=True)
    _, m_rev = run_design(ctx, rev)
    out.models += [m_fwd, m_rev]
    pairs = [
        (
            "cross_lag_alliance_to_outcome",
            m_fwd.coef(f"{within}_lag"),
            "within-dyad alliance(t−lag) → outcome(t)",
        ),
        (
            "cross_lag_outcome_to_alliance",
            m_rev.coef(f"{y}_pc_lag"),
            "within-dyad outcome(t−lag) → alliance(t)",
        ),
        ("autoregression_outcome", m_fwd.coef(f"{y}_lag"), "outcome(t−lag) → outcome(t)"),
        ("autoregression_alliance", m_rev.coef(f"{a}_lag"), "alliance(t−lag) → alliance(t)"),
    ]
    for name, fe, text in pairs:
        out.estimands.append(
            Estimand(name, fe.estimate, text, fe.se, fe.stat, fe.df, fe.p, fe.ci_low, fe.ci_high)
        )
    sd_a, sd_y = float(np.std(data[within], ddof=1)), float(np.std(data[f"{y}_pc"], ddof=1))
    out.estimands += [
        Estimand(
            "std_cross_lag_alliance_to_outcome", pairs[0][1].estimate * sd_a / sd_y, "β·SD(A_pc)/SD(y_pc)"
        ),
        Estimand(
            "std_cross_lag_outcome_to_alliance", pairs[1][1].estimate * sd_y / sd_a, "β·SD(y_pc)/SD(A_pc)"
        ),
    ]
    median_t = float(ctx.data.groupby("dyad_id").size().median())
    if median_t < SHORT_PANEL:
        out.caveats.append(
            f"Short panels (median {median_t:.0f} occasions per dyad < {SHORT_PANEL}): the lagged "
            "outcome with a dyad random intercept is Nickell-biased, roughly −(1+ρ)/(T−1)."
        )
    gaps = data.sort_values(["dyad_id", "time"]).groupby("dyad_id")["time"].diff().dropna()
    if gaps.nunique() > 1:
        out.caveats.append("Occasions are unequally spaced (missing waves); lags span different time gaps.")
    out.caveats.append(
        "RI-CLPM (SEM) is the recommended confirmatory alternative; this multilevel model is fast."
    )
    return out
