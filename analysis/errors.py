"""Typed errors raised by the analysis library."""

from __future__ import annotations


class AnalysisError(Exception):
    """Base class for every error the analysis library raises on purpose."""


class DataValidationError(AnalysisError, ValueError):
    """The input frame cannot support the requested model.

    Parameters
    ----------
    message : str
        Human-readable explanation.
    field : str
        The offending column (or spec field) name, so an API layer can point at it.
    """

    def __init__(self, message: str, field: str) -> None:
        super().__init__(f"{field}: {message}")
        self.message = message
        self.field = field


class EngineError(AnalysisError):
    """The estimation engine failed to produce a usable fit."""
