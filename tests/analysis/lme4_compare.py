"""Compare library fits with the lme4 reference fixtures (shared by the tests and the agreement report)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis.engines import Design, StatsmodelsEngine
from analysis.fit import fit_model
from analysis.inference import fixed_effect_table
from analysis.result import FittedModel
from analysis.spec import DfMethod, ModelSpec
from analysis.templates.common import variance_components

FIXTURES = Path(__file__).parent / "fixtures"
LME4_TERM = {"Intercept": "(Intercept)"}


@cache
def cases() -> tuple[dict[str, Any], ...]:
    """Case definitions written by scripts/lme4/write_cases.py."""
    return tuple(json.loads((FIXTURES / "cases.json").read_text()))


@cache
def reference() -> dict[str, Any]:
    """lme4 reference values written by scripts/lme4/make_fixtures.R."""
    return dict(json.loads((FIXTURES / "lme4_reference.json").read_text()))


@cache
def _template_fit(dataset: str, spec_json: str) -> Any:
    raw = pd.read_csv(FIXTURES / f"{dataset}.csv")
    return fit_model(raw, ModelSpec.model_validate_json(spec_json))


def fitted(
    case: dict[str, Any],
) -> tuple[dict[str, float], dict[str, float], dict[tuple[str, str], float], float]:
    """Our fixed effects, SEs, variances by (group, term) and log-likelihood for one case."""
    if case["kind"] == "template":
        result = _template_fit(case["dataset"], json.dumps(case["spec"]))
        model: FittedModel = result.model(case["model"])
        fes, vcs, loglik = model.fixed_effects, model.variance_components, model.fit.loglik
    else:
        d = case["design"]
        data = pd.read_csv(FIXTURES / case["data"])
        design = Design(
            case["id"], d["formula"], data, d["groups"], d["re_formula"], d["vc_formula"], tuple(d["levels"])
        )
        fit = StatsmodelsEngine().fit(design, reml=case["reml"])
        fes, vcs, loglik = fixed_effect_table(fit, DfMethod.Z), variance_components(fit), fit.llf
    est = {LME4_TERM.get(fe.term, fe.term): fe.estimate for fe in fes}
    se = {LME4_TERM.get(fe.term, fe.term): fe.se for fe in fes}
    var = {(vc.group, vc.term): vc.estimate for vc in vcs if vc.kind == "variance"}
    return est, se, var, loglik


def _rel(a: float, b: float, floor: float = 0.0) -> float:
    return abs(a - b) / max(abs(b), floor, 1e-300)


def compare(case: dict[str, Any]) -> dict[str, float]:
    """Maximum relative differences (fixed effects, SEs, variances) and absolute log-likelihood difference.

    Variances are compared relative to max(|lme4 value|, 1e-3 × residual variance), so a component
    estimated at the boundary (0 in both) does not divide by zero.
    """
    ref = reference()[case["id"]]
    est, se, var, loglik = fitted(case)
    resid = next(v["vcov"] for v in ref["varcorr"] if v["grp"] == "Residual")
    # lme4 suffixes repeated grouping factors: (1 | dyad_id) + (0 + time | dyad_id) -> "dyad_id", "dyad_id.1"
    lme4_var = {(v["grp"].split(".")[0], v["var1"]): v["vcov"] for v in ref["varcorr"] if v["var2"] is None}
    vc_diffs = [
        _rel(var[(ours_g, ours_t)], lme4_var[(g, v1)], 1e-3 * resid)
        for g, v1, ours_g, ours_t in case["vc_map"]
    ]
    return {
        "fe": max(_rel(est[k], v) for k, v in ref["fixef"].items()),
        "se": max(_rel(se[k], v) for k, v in ref["se"].items()),
        "vc": max(vc_diffs),
        "loglik": abs(loglik - ref["loglik"]),
    }


def proper_gap(case: dict[str, Any]) -> dict[str, float] | None:
    """Largest absolute fixed-effect difference between our (closest) model and lme4's proper model."""
    ref = reference()[case["id"]]
    if "proper" not in ref:
        return None
    est, _, _, _ = fitted(case)
    diffs = {k: abs(est[k] - v) for k, v in ref["proper"]["fixef"].items()}
    ses = ref["proper"]["se"]
    worst = max(diffs, key=lambda k: diffs[k] / ses[k])
    return {
        "term": worst,
        "abs_diff": float(diffs[worst]),
        "in_se_units": float(diffs[worst] / ses[worst]),
        "loglik_gap": float(ref["proper"]["loglik"] - ref["loglik"]),
    }  # type: ignore[dict-item]


def satterthwaite_rel_diff(case: dict[str, Any]) -> float:
    """Largest relative difference between our Satterthwaite df and lmerTest's for one case."""
    if case["kind"] == "template":
        raw = pd.read_csv(FIXTURES / f"{case['dataset']}.csv")
        spec = ModelSpec.model_validate({**case["spec"], "df_method": "satterthwaite"})
        model = fit_model(raw, spec).model(case["model"])
        ours = {LME4_TERM.get(fe.term, fe.term): fe.df for fe in model.fixed_effects}
    else:
        d = case["design"]
        data = pd.read_csv(FIXTURES / case["data"])
        design = Design(
            case["id"], d["formula"], data, d["groups"], d["re_formula"], d["vc_formula"], tuple(d["levels"])
        )
        fit = StatsmodelsEngine().fit(design, reml=case["reml"])
        ours = {
            LME4_TERM.get(fe.term, fe.term): fe.df for fe in fixed_effect_table(fit, DfMethod.SATTERTHWAITE)
        }
    lmertest = reference()[case["id"]]["satterthwaite_df"]
    return max(abs(ours[k] / v - 1) for k, v in lmertest.items() if v is not None and ours[k] is not None)


def summary() -> pd.DataFrame:
    """One row per case with the agreement figures."""
    rows = [{"case": c["id"], **compare(c), "satterthwaite_df": satterthwaite_rel_diff(c)} for c in cases()]
    return pd.DataFrame(rows).set_index("case")


if __name__ == "__main__":
    pd.set_option("display.width", 140)
    print(summary().to_string(float_format=lambda x: f"{x:.2e}"))
    for c in cases():
        gap = proper_gap(c)
        if gap:
            print(c["id"], gap)
    print("max:", np.round(summary().max().to_dict(), 9))
