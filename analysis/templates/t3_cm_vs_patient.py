"""T3: case-manager-level vs patient-level early alliance (Baldwin, Wampold & Imel 2007)."""

from __future__ import annotations

import pandas as pd

from analysis.derive import icc_cm_means
from analysis.engines.base import Design
from analysis.inference import contrast
from analysis.result import Estimand
from analysis.templates.common import Context, TemplateOutput, complete, icc2_caveat, run_design

EARLY_MONTHS = 3.0
MIN_CASELOAD = 3


def dyad_frame(ctx: Context) -> pd.DataFrame:
    """One row per dyad: ``pre`` (first outcome), ``post`` (last outcome), early alliance and its CM split.

    Early alliance is the mean rating in the first :data:`EARLY_MONTHS` months (the first rating if none).
    Dyads with fewer than two outcome occasions are dropped.
    """
    y, a = ctx.spec.outcome, ctx.alliance
    d = ctx.data.dropna(subset=[y]).sort_values(["dyad_id", "time"], kind="mergesort")
    g = d.groupby("dyad_id", sort=False)
    rows = pd.DataFrame(
        {"cm_id": g["cm_id"].first(), "pre": g[y].first(), "post": g[y].last(), "n": g.size()}
    )
    for cov in ctx.spec.covariates:
        rows[cov] = g[cov].first()
    rated = ctx.data.dropna(subset=[a])
    early = rated[rated["time"] <= EARLY_MONTHS].groupby("dyad_id")[a].mean()
    first = rated.sort_values("time").groupby("dyad_id")[a].first()
    rows["A_early"] = early.reindex(rows.index).fillna(first.reindex(rows.index))
    rows = rows[rows["n"] >= 2].dropna(subset=["A_early"]).reset_index()
    cm_mean = rows.groupby("cm_id")["A_early"].transform("mean")
    rows["A_cm_c"] = cm_mean - rows.groupby("cm_id")["A_early"].mean().mean()
    rows["A_dev"] = rows["A_early"] - cm_mean
    return rows


def run(ctx: Context) -> TemplateOutput:
    """``post ~ pre + A_cm_c + A_dev`` with a CM random intercept, and the baseline model without alliance."""
    out = TemplateOutput()
    data = complete(dyad_frame(ctx), ["pre", "post", "A_early", *ctx.spec.covariates])
    primary = Design(
        "cm_vs_patient", f"post ~ {ctx.rhs('pre', 'A_cm_c', 'A_dev')}", data, "cm_id", "1", {}, ("cm_id",)
    )
    fit, model = run_design(ctx, primary, primary=True)
    base = Design("baseline", f"post ~ {ctx.rhs('pre')}", data, "cm_id", "1", {}, ("cm_id",))
    fit0, model0 = run_design(ctx, base)
    out.models += [model, model0]
    out.estimands.append(
        contrast(
            fit,
            {"A_cm_c": 1, "A_dev": -1},
            "b_cm_minus_b_patient",
            "CM-level − patient-level alliance effect",
            ctx.spec.df_method,
        )
    )
    v0, v1 = float(fit0.cov_re[0, 0]), float(fit.cov_re[0, 0])
    explained = (v0 - v1) / v0 if v0 > 0 else float("nan")
    out.estimands.append(
        Estimand("cm_variance_explained", explained, "share of CM outcome variance explained by A_cm_c")
    )
    caseload = data.groupby("cm_id").size()
    n_small = int((caseload < MIN_CASELOAD).sum())
    out.estimands.append(Estimand("n_cms_small_caseload", float(n_small), f"CMs with < {MIN_CASELOAD} dyads"))
    icc1, icc2, _ = icc_cm_means(data, "A_early")
    out.icc.update({"alliance_icc1": icc1, "alliance_icc2": icc2})
    out.caveats += icc2_caveat(icc2, "early alliance")
    if n_small:
        out.caveats.append(
            f"{n_small} case managers have fewer than {MIN_CASELOAD} dyads; their means are noisy."
        )
    dropped = ctx.data["dyad_id"].nunique() - len(data)
    if dropped:
        out.caveats.append(
            f"{dropped} dyads without two outcome occasions or an alliance rating were dropped."
        )
    return out
