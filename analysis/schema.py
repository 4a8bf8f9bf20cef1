"""Validation of the tidy long input frame (one row per dyad occasion)."""

from __future__ import annotations

import pandas as pd

from analysis.errors import DataValidationError
from analysis.spec import ModelSpec, Template

ID_COLUMNS = ("cm_id", "patient_id", "dyad_id")
OPTIONAL_ID_COLUMNS = ("site_id",)
MIN_CASE_MANAGERS = 5
MIN_DYADS = 10


def required_numeric_columns(spec: ModelSpec) -> tuple[str, ...]:
    """Numeric input columns a spec reads (before derivation)."""
    alliance = ("A_p", "A_c") if spec.template is Template.T6 else (spec.alliance_rater.column,)
    return ("time", spec.outcome, *alliance, *spec.covariates)


def validate_frame(df: pd.DataFrame, spec: ModelSpec) -> pd.DataFrame:
    """Check ``df`` can support ``spec`` and return a clean copy with only the columns used.

    Raises
    ------
    DataValidationError
        Missing column, non-numeric measurement, missing identifiers, a dyad mapped to several case managers
        or patients, a constant predictor, or too few groups for a multilevel model.
    """
    if not isinstance(df, pd.DataFrame):
        raise DataValidationError("input must be a pandas DataFrame", field="data")
    numeric = required_numeric_columns(spec)
    present_optional = [c for c in OPTIONAL_ID_COLUMNS if c in df.columns]
    extra = [c for c in ("occasion", "A_p", "A_c") if c in df.columns]
    keep = [*present_optional, *ID_COLUMNS, *extra, *numeric]
    for col in (*ID_COLUMNS, *numeric):
        if col not in df.columns:
            raise DataValidationError("required column is missing", field=col)
    out = df.loc[:, list(dict.fromkeys(keep))].copy()
    for col in (*present_optional, *ID_COLUMNS):
        if out[col].isna().any():
            raise DataValidationError("identifier has missing values", field=col)
    for col in dict.fromkeys([*numeric, *(c for c in ("A_p", "A_c") if c in out.columns)]):
        if out[col].dtype == bool:
            out[col] = out[col].astype(float)
        if not pd.api.types.is_numeric_dtype(out[col]):
            raise DataValidationError(f"must be numeric, got dtype {out[col].dtype}", field=col)
        out[col] = out[col].astype(float)
    _check_nesting(out)
    _check_sizes(out, spec)
    _check_variation(out, spec)
    if "occasion" not in out.columns:
        out["occasion"] = out.groupby("dyad_id", sort=False)["time"].rank(method="first").astype(int) - 1
    return out.reset_index(drop=True)


def _check_nesting(df: pd.DataFrame) -> None:
    per_dyad = df.groupby("dyad_id", sort=False)[["cm_id", "patient_id"]].nunique()
    for col in ("cm_id", "patient_id"):
        if (per_dyad[col] > 1).any():
            bad = per_dyad.index[per_dyad[col] > 1][0]
            raise DataValidationError(f"dyad {bad!r} maps to several values of {col}", field="dyad_id")


def _check_sizes(df: pd.DataFrame, spec: ModelSpec) -> None:
    n_cm = df["cm_id"].nunique()
    if n_cm < MIN_CASE_MANAGERS:
        raise DataValidationError(
            f"{spec.template.value} needs at least {MIN_CASE_MANAGERS} case managers, found {n_cm}",
            field="cm_id",
        )
    n_dyad = df["dyad_id"].nunique()
    if n_dyad < MIN_DYADS:
        raise DataValidationError(
            f"{spec.template.value} needs at least {MIN_DYADS} dyads, found {n_dyad}", field="dyad_id"
        )
    if spec.template in (Template.T1, Template.T4) and df.groupby("dyad_id").size().max() < spec.lag + 2:
        raise DataValidationError("too few occasions per dyad for a longitudinal model", field="time")


def _check_variation(df: pd.DataFrame, spec: ModelSpec) -> None:
    for col in dict.fromkeys(required_numeric_columns(spec)):
        values = df[col].dropna()
        if values.empty:
            raise DataValidationError("column has no non-missing values", field=col)
        if col != spec.outcome and values.nunique() < 2:
            raise DataValidationError("predictor is constant", field=col)
    if df[spec.outcome].dropna().nunique() < 2:
        raise DataValidationError("outcome is constant", field=spec.outcome)
