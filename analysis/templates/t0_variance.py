"""T0: null three-level model — variance partition and ICCs for the outcome and each alliance rating."""

from __future__ import annotations

from analysis.derive import icc_cm_means
from analysis.engines.base import Design
from analysis.result import Estimand
from analysis.templates.common import (
    DYAD_VC,
    LEVELS,
    Context,
    TemplateOutput,
    complete,
    icc2_caveat,
    run_design,
)


def run(ctx: Context) -> TemplateOutput:
    """Fit ``v ~ 1`` with random CM and dyad intercepts for the outcome and for A_p / A_c when present."""
    out = TemplateOutput()
    targets = [("outcome", ctx.spec.outcome)]
    targets += [(f"alliance_{col}", col) for col in ("A_p", "A_c") if col in ctx.data.columns]
    for label, col in targets:
        data = complete(ctx.data, [col])
        design = Design(label, f"{col} ~ 1", data, "cm_id", "1", DYAD_VC, LEVELS)
        fit, model = run_design(ctx, design, primary=label == "outcome")
        out.models.append(model)
        v_cm, v_dyad, v_e = float(fit.cov_re[0, 0]), fit.vcomp["dyad"], fit.scale
        total = v_cm + v_dyad + v_e
        icc_cm = v_cm / total
        out.icc[f"{label}_cm"] = icc_cm
        out.icc[f"{label}_dyad"] = (v_cm + v_dyad) / total
        m_bar = len(data) / data["cm_id"].nunique()
        out.estimands.append(
            Estimand(
                f"design_effect_{label}", 1 + (m_bar - 1) * icc_cm, "1 + (m̄ − 1)·ICC(CM), m̄ = rows per CM"
            )
        )
        if label.startswith("alliance"):
            _, icc2, _ = icc_cm_means(data, col)
            out.icc[f"{label}_icc2"] = icc2
            out.caveats += icc2_caveat(icc2, col)
    return out
