"""The model specification: a typed, JSON-serialisable value that fully determines a fit."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator


class Template(StrEnum):
    """Named model templates (see ``domain/models.md`` §3)."""

    T0 = "T0"  # variance partition / ICCs
    T1 = "T1"  # growth with random slopes
    T2 = "T2"  # within/between alliance -> outcome
    T3 = "T3"  # CM-level vs patient-level early alliance (Baldwin)
    T4 = "T4"  # lagged alliance -> next outcome, plus the reverse path
    T5 = "T5"  # random alliance slopes + prediction interval
    T6 = "T6"  # patient/CM agreement + response surface


class AllianceRater(StrEnum):
    """Whose alliance rating is the predictor."""

    PATIENT = "patient"
    CASE_MANAGER = "case_manager"

    @property
    def column(self) -> str:
        """Input column holding this rater's alliance score."""
        return "A_p" if self is AllianceRater.PATIENT else "A_c"


class TimeMetric(StrEnum):
    """Which column is used as the time axis of slopes."""

    MONTHS = "months"  # the ``time`` column: months since dyad start
    OCCASION = "occasion"  # the ``occasion`` index (0, 1, 2, ...) within the dyad

    @property
    def column(self) -> str:
        """Input column holding this time metric."""
        return "time" if self is TimeMetric.MONTHS else "occasion"


class DfMethod(StrEnum):
    """Denominator degrees of freedom for fixed-effect tests."""

    Z = "z"  # asymptotic normal, df = infinity
    BETWEEN_WITHIN = "between_within"  # residual df at the level where the predictor varies
    SATTERTHWAITE = "satterthwaite"  # lmerTest's default; costs a few dozen likelihood evaluations


class ModelSpec(BaseModel):
    """Everything that determines a fit, apart from the data.

    Two fits with equal specs on frames with equal fingerprints give identical results.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", use_enum_values=False)

    template: Template
    outcome: str = "y"
    alliance_rater: AllianceRater = AllianceRater.PATIENT
    time_metric: TimeMetric = TimeMetric.MONTHS
    covariates: tuple[str, ...] = ()
    random_slopes: bool = True
    reml: bool = True
    lag: int = Field(default=1, ge=1, le=6)
    detrend: bool = False
    winsorize: float | None = Field(default=None, gt=0.0, lt=0.5)
    df_method: DfMethod = DfMethod.BETWEEN_WITHIN
    vc_ci: Literal["none", "bootstrap"] = "none"
    n_boot: int = Field(default=200, ge=20, le=5000)
    seed: int = 0
    engine: Literal["statsmodels"] = "statsmodels"

    @field_validator("outcome", "covariates")
    @classmethod
    def _no_patsy_names(cls, value: Any) -> Any:
        names = (value,) if isinstance(value, str) else value
        for name in names:
            if name in {"C", "I", "Q"}:
                raise ValueError(f"column name {name!r} clashes with a patsy function")
        return value

    def to_dict(self) -> dict[str, Any]:
        """JSON-compatible dict (enums as their values)."""
        return self.model_dump(mode="json")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelSpec:
        """Inverse of :meth:`to_dict`."""
        return cls.model_validate(data)
