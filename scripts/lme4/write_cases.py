"""Write the data sets and model cases that make_fixtures.R fits with lme4.

Run from the repository root::

    .venv/bin/python scripts/lme4/write_cases.py && Rscript scripts/lme4/make_fixtures.R

Each simulated case runs a template through the library with a recording engine, so R fits exactly the design
(the derived variables, complete cases) that the library fitted. Outputs go to tests/analysis/fixtures/.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from analysis.engines import Design, EngineFit, StatsmodelsEngine
from analysis.fit import fit_model
from analysis.simulate import simulate_study
from analysis.spec import ModelSpec

OUT = Path("tests/analysis/fixtures")
D = "(1 | cm_id) + (1 | dyad_id)"
DS = "(1 | cm_id) + (1 | dyad_id) + (0 + time | dyad_id)"
CMI = ["cm_id", "(Intercept)", "cm_id", "Intercept"]
DYI = ["dyad_id", "(Intercept)", "dyad", "dyad"]
RES = ["Residual", None, "residual", "residual"]

# (data set, template, spec overrides, model name, lme4 random part, variance map, proper lme4 model or None)
CASES: list[tuple[str, str, dict[str, Any], str, str, list[list[Any]], str | None]] = [
    ("sim_a", "T0", {}, "outcome", D, [CMI, DYI, RES], None),
    (
        "sim_a",
        "T1",
        {},
        "growth",
        "(1 + time | cm_id) + (1 | dyad_id) + (0 + time | dyad_id)",
        [CMI, ["cm_id", "time", "cm_id", "time"], DYI, ["dyad_id", "time", "dyad_slope", "dyad_slope"], RES],
        "(1 + time | cm_id) + (1 + time | dyad_id)",
    ),
    (
        "sim_a",
        "T1",
        {},
        "growth_2level",
        "(1 + time | dyad_id)",
        [["dyad_id", "(Intercept)", "dyad_id", "Intercept"], ["dyad_id", "time", "dyad_id", "time"], RES],
        None,
    ),
    (
        "sim_a",
        "T2",
        {},
        "within_between",
        DS,
        [CMI, DYI, ["dyad_id", "time", "dyad_slope", "dyad_slope"], RES],
        "(1 | cm_id) + (1 + time | dyad_id)",
    ),
    (
        "sim_b",
        "T2",
        {"reml": False},
        "within_between",
        DS,
        [CMI, DYI, ["dyad_id", "time", "dyad_slope", "dyad_slope"], RES],
        "(1 | cm_id) + (1 + time | dyad_id)",
    ),
    ("sim_a", "T3", {}, "cm_vs_patient", "(1 | cm_id)", [CMI, RES], None),
    ("sim_a", "T4", {}, "forward", D, [CMI, DYI, RES], None),
    ("sim_a", "T4", {}, "reverse", D, [CMI, DYI, RES], None),
    (
        "sim_a",
        "T5",
        {},
        "random_slopes",
        "(1 + A_pc | cm_id) + (1 | dyad_id) + (0 + A_pc | dyad_id)",
        [CMI, ["cm_id", "A_pc", "cm_id", "A_pc"], DYI, ["dyad_id", "A_pc", "dyad_slope", "dyad_slope"], RES],
        None,
    ),
    ("sim_a", "T6", {}, "response_surface", D, [CMI, DYI, RES], None),
    (
        "sim_a",
        "T6",
        {},
        "agreement",
        "(0 + is_p + is_c | dyad_id)",
        [["dyad_id", "is_p", "dyad_id", "is_p"], ["dyad_id", "is_c", "dyad_id", "is_c"], RES],
        None,
    ),
]

CLASSIC = [
    {
        "id": "sleepstudy",
        "formula": "Reaction ~ Days + (1 + Days | Subject)",
        "reml": True,
        "design": {
            "formula": "Reaction ~ Days",
            "groups": "Subject",
            "re_formula": "~Days",
            "vc_formula": {},
            "levels": ["Subject"],
        },
        "vc_map": [
            ["Subject", "(Intercept)", "Subject", "Intercept"],
            ["Subject", "Days", "Subject", "Days"],
            RES,
        ],
    },
    {
        "id": "dyestuff",
        "formula": "Yield ~ 1 + (1 | Batch)",
        "reml": True,
        "design": {
            "formula": "Yield ~ 1",
            "groups": "Batch",
            "re_formula": "1",
            "vc_formula": {},
            "levels": ["Batch"],
        },
        "vc_map": [["Batch", "(Intercept)", "Batch", "Intercept"], RES],
    },
    {
        "id": "penicillin",
        "formula": "diameter ~ 1 + (1 | plate) + (1 | sample)",
        "reml": True,
        "design": {
            "formula": "diameter ~ 1",
            "groups": None,
            "re_formula": None,
            "vc_formula": {"plate": "0 + C(plate)", "sample": "0 + C(sample)"},
            "levels": [],
        },
        "vc_map": [
            ["plate", "(Intercept)", "plate", "plate"],
            ["sample", "(Intercept)", "sample", "sample"],
            RES,
        ],
    },
]


class RecordingEngine(StatsmodelsEngine):
    """Statsmodels engine that remembers every design it fitted."""

    def __init__(self) -> None:
        self.designs: dict[str, Design] = {}

    def fit(self, design: Design, reml: bool, start: Any = None) -> EngineFit:
        self.designs[design.name] = design
        return super().fit(design, reml, start)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    data = {
        "sim_a": simulate_study(n_cm=15, patients_per_cm=8, waves=6, seed=11)[0],
        "sim_b": simulate_study(n_cm=30, patients_per_cm=5, waves=5, seed=12, transfer=0.1)[0],
    }
    for name, frame in data.items():
        frame.to_csv(OUT / f"{name}.csv", index=False, float_format="%.17g")
    cases = []
    for dataset, template, overrides, model, random, vc_map, proper in CASES:
        engine = RecordingEngine()
        spec = ModelSpec(template=template, **overrides)
        fit_model(data[dataset], spec, engine=engine)
        design = engine.designs[model]
        case_id = f"{dataset}_{template}_{model}" + ("_ml" if not spec.reml else "")
        lhs_rhs = design.formula
        used = [
            c
            for c in design.data.columns
            if re.search(rf"\b{re.escape(c)}\b", f"{lhs_rhs} {random} {proper}")
        ]
        design.data[used].to_csv(OUT / f"design_{case_id}.csv", index=False, float_format="%.17g")
        cases.append(
            {
                "id": case_id,
                "kind": "template",
                "dataset": dataset,
                "spec": spec.to_dict(),
                "model": model,
                "data": f"design_{case_id}.csv",
                "formula": f"{lhs_rhs} + {random}",
                "proper_formula": f"{lhs_rhs} + {proper}" if proper else None,
                "reml": spec.reml,
                "vc_map": vc_map,
            }
        )
    for classic in CLASSIC:
        cases.append({**classic, "kind": "classic", "data": f"{classic['id']}.csv"})
    (OUT / "cases.json").write_text(json.dumps(cases, indent=1) + "\n")


if __name__ == "__main__":
    main()
