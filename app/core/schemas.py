"""Base classes for API schemas: strict inputs (unknown fields refused), ORM-readable outputs."""

from typing import ClassVar

from pydantic import BaseModel, ConfigDict, ValidationInfo, field_validator


class InputSchema(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ReadSchema(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class UpdateSchema(InputSchema):
    """PATCH body: every field optional; an explicit ``null`` is only accepted for nullable columns.

    ``model_dump(exclude_unset=True)`` then tells "clear it" (explicit null) from "leave it" (absent).
    """

    nullable: ClassVar[frozenset[str]] = frozenset()

    @field_validator("*")
    @classmethod
    def _null_only_where_nullable(cls, value: object, info: ValidationInfo) -> object:
        if value is None and info.field_name not in cls.nullable:
            raise ValueError("may not be null")
        return value
