"""dyadstudy analysis library: multilevel alliance–outcome models on a tidy long frame.

Pure functions, no database or HTTP. Typical use::

    from analysis import ModelSpec, Template, fit_model, simulate_study

    data, truth = simulate_study(seed=1)
    result = fit_model(data, ModelSpec(template=Template.T2))
    print(result.table())
"""

from analysis.derive import add_lags, derive_alliance, derive_outcome, detrend, icc_cm_means
from analysis.engines import Design, Engine, EngineFit, StatsmodelsEngine, get_engine
from analysis.errors import AnalysisError, DataValidationError, EngineError
from analysis.fingerprint import frame_fingerprint
from analysis.fit import fit_model
from analysis.result import (
    Diagnostics,
    Estimand,
    FitIndices,
    FittedModel,
    FixedEffect,
    ModelResult,
    Provenance,
    SampleDescription,
    VarianceComponent,
)
from analysis.simulate import SimulationTruth, simulate_study
from analysis.spec import AllianceRater, DfMethod, ModelSpec, Template, TimeMetric

__all__ = [
    "AllianceRater",
    "AnalysisError",
    "DataValidationError",
    "Design",
    "DfMethod",
    "Diagnostics",
    "Engine",
    "EngineError",
    "EngineFit",
    "Estimand",
    "FitIndices",
    "FittedModel",
    "FixedEffect",
    "ModelResult",
    "ModelSpec",
    "Provenance",
    "SampleDescription",
    "SimulationTruth",
    "StatsmodelsEngine",
    "Template",
    "TimeMetric",
    "VarianceComponent",
    "add_lags",
    "derive_alliance",
    "derive_outcome",
    "detrend",
    "fit_model",
    "frame_fingerprint",
    "get_engine",
    "icc_cm_means",
    "simulate_study",
]
