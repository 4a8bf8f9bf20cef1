from datetime import datetime
from typing import Any

from pydantic import Field

from app.core.schemas import ReadSchema
from app.instruments.definition import InstrumentDefinition, InstrumentKind, RaterRole


class InstrumentRead(ReadSchema):
    code: str
    version: str
    kind: InstrumentKind
    builtin: bool
    latest: bool
    created_at: datetime
    definition: dict[str, Any]


class InstrumentSummary(ReadSchema):
    code: str
    version: str
    kind: InstrumentKind
    name: str
    raters: list[RaterRole]
    versions: list[str]
    builtin: bool


class DictionaryColumn(ReadSchema):
    name: str
    required: bool
    type: str
    description: str
    allowed: list[str] | None = None
    min: float | None = None
    max: float | None = None
    special_codes: dict[str, str] | None = None


class DataDictionary(ReadSchema):
    """The columns a CSV import must have for this instrument, in the wide and the long layout."""

    instrument: str
    version: str
    kind: InstrumentKind
    wide: list[DictionaryColumn]
    long: list[DictionaryColumn]
    notes: list[str] = Field(default_factory=list)


InstrumentCreate = InstrumentDefinition  # an admin posts a full definition (extra fields forbidden)
