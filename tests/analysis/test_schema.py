"""Entry validation: typed errors naming the offending field."""

from __future__ import annotations

import pandas as pd
import pydantic
import pytest

from analysis.errors import DataValidationError
from analysis.fit import fit_model
from analysis.schema import validate_frame
from analysis.spec import ModelSpec, Template

T2 = ModelSpec(template=Template.T2)


def _raises(df: pd.DataFrame, field: str, spec: ModelSpec = T2) -> DataValidationError:
    with pytest.raises(DataValidationError) as info:
        validate_frame(df, spec)
    assert info.value.field == field
    return info.value


@pytest.mark.parametrize("column", ["cm_id", "patient_id", "dyad_id", "time", "y", "A_p"])
def test_missing_column(small_frame: pd.DataFrame, column: str) -> None:
    err = _raises(small_frame.drop(columns=column), column)
    assert "missing" in err.message


def test_case_manager_rating_required_for_t6(small_frame: pd.DataFrame) -> None:
    _raises(small_frame.drop(columns="A_c"), "A_c", ModelSpec(template=Template.T6))
    validate_frame(small_frame.drop(columns="A_c"), T2)  # T2 on patient ratings does not need A_c


def test_wrong_type(small_frame: pd.DataFrame) -> None:
    err = _raises(small_frame.assign(A_p=small_frame["A_p"].astype(str)), "A_p")
    assert "numeric" in err.message


def test_missing_identifier(small_frame: pd.DataFrame) -> None:
    small_frame.loc[3, "cm_id"] = None
    _raises(small_frame, "cm_id")


def test_dyad_must_nest_in_one_cm(small_frame: pd.DataFrame) -> None:
    small_frame.loc[small_frame.index[:2], "dyad_id"] = small_frame["dyad_id"].iloc[-1]
    _raises(small_frame, "dyad_id")


def test_too_few_case_managers(small_frame: pd.DataFrame) -> None:
    keep = small_frame["cm_id"].isin(small_frame["cm_id"].unique()[:3])
    err = _raises(small_frame[keep], "cm_id")
    assert "at least" in err.message


def test_constant_predictor(small_frame: pd.DataFrame) -> None:
    _raises(small_frame.assign(A_p=4.0), "A_p")
    _raises(small_frame.assign(sev=1.0), "sev", ModelSpec(template=Template.T2, covariates=("sev",)))


def test_constant_outcome(small_frame: pd.DataFrame) -> None:
    _raises(small_frame.assign(y=1.0), "y")


def test_not_a_frame() -> None:
    with pytest.raises(DataValidationError):
        fit_model([1, 2, 3], T2)  # type: ignore[arg-type]


def test_patsy_names_rejected() -> None:
    with pytest.raises(pydantic.ValidationError):
        ModelSpec(template=Template.T2, outcome="C")
    with pytest.raises(pydantic.ValidationError):
        ModelSpec(template=Template.T2, covariates=("I",))


def test_clean_frame_keeps_only_used_columns(small_frame: pd.DataFrame) -> None:
    out = validate_frame(small_frame.assign(extra="x", flag=True), T2)
    assert "extra" not in out.columns
    assert out["A_p"].dtype == float
