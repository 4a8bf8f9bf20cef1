"""Entry point: validate, derive, run the template, attach sample and provenance."""

from __future__ import annotations

import sys
from importlib import metadata

import pandas as pd

from analysis.derive import derive_alliance, winsorize
from analysis.engines import Engine, get_engine
from analysis.fingerprint import frame_fingerprint
from analysis.result import ModelResult, Provenance
from analysis.sample import describe_sample
from analysis.schema import validate_frame
from analysis.spec import ModelSpec
from analysis.templates import TEMPLATES, Context


def prepare(validated: pd.DataFrame, spec: ModelSpec) -> pd.DataFrame:
    """Winsorise ratings (if requested) and add the derived alliance variables to a validated frame."""
    frame = validated.copy()
    if spec.winsorize is not None:
        for col in ("A_p", "A_c"):
            if col in frame.columns:
                frame[col] = winsorize(frame[col], spec.winsorize)
    return derive_alliance(frame, spec.alliance_rater.column)


def fit_model(data: pd.DataFrame, spec: ModelSpec, engine: Engine | None = None) -> ModelResult:
    """Fit the template named in ``spec`` to the tidy long frame ``data``.

    Parameters
    ----------
    data : DataFrame
        One row per dyad occasion with ``cm_id, patient_id, dyad_id, time``, the outcome and alliance columns
        (``site_id``, ``occasion`` and covariates optional).
    spec : ModelSpec
        Fully determines the analysis.
    engine : Engine, optional
        Defaults to the engine named in ``spec``.

    Raises
    ------
    DataValidationError
        If the frame cannot support the model.
    """
    engine = engine or get_engine(spec.engine)
    validated = validate_frame(data, spec)
    frame = prepare(validated, spec)
    output = TEMPLATES[spec.template](Context(frame, spec, engine))
    if spec.winsorize is not None:
        output.caveats.append(
            f"Alliance ratings winsorised at the {spec.winsorize:.0%} / {1 - spec.winsorize:.0%} quantiles."
        )
    if validated.groupby("patient_id")["cm_id"].nunique().max() > 1:
        output.caveats.append(
            "Some patients changed case manager: each patient–CM episode is a separate dyad nested "
            "in its CM; the cross-classification of patients by CMs is not modelled."
        )
    provenance = Provenance(
        spec=spec.to_dict(),
        data_sha256=frame_fingerprint(validated),
        versions=_versions(engine),
        seed=spec.seed,
    )
    return ModelResult(
        template=spec.template.value,
        models=tuple(output.models),
        estimands=tuple(output.estimands),
        icc=dict(output.icc),
        caveats=tuple(output.caveats),
        sample=describe_sample(validated),
        provenance=provenance,
    )


def _versions(engine: Engine) -> dict[str, str]:
    out = {"python": sys.version.split()[0], "engine": f"{engine.name} {engine.version()}"}
    for pkg in ("dyadstudy", "numpy", "pandas", "scipy", "statsmodels"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = "unknown"
    return out
