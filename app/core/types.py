"""Constrained field types shared by the API schemas."""

from datetime import date
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints

Code = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$")]
Name = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Label = Annotated[str, StringConstraints(min_length=1, max_length=200)]
BirthYear = Annotated[int, Field(ge=1900, le=2100)]


def _plausible(value: date) -> date:
    if not date(1900, 1, 1) <= value <= date(2100, 12, 31):
        raise ValueError("date must lie between 1900-01-01 and 2100-12-31")
    return value


StudyDate = Annotated[date, AfterValidator(_plausible)]
