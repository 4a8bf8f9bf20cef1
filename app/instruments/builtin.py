"""Built-in instrument definitions shipped as JSON data in ``app/instruments/definitions``."""

from __future__ import annotations

from functools import cache
from importlib.resources import files

from app.instruments.definition import InstrumentDefinition


class UnknownInstrumentError(KeyError):
    """No built-in definition has this code (and version)."""


@cache
def _load() -> dict[tuple[str, str], InstrumentDefinition]:
    loaded: dict[tuple[str, str], InstrumentDefinition] = {}
    folder = files("app.instruments").joinpath("definitions")
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".json"):
            continue
        definition = InstrumentDefinition.model_validate_json(entry.read_text(encoding="utf-8"))
        if definition.key in loaded:
            raise ValueError(f"duplicate built-in definition {definition.key} in {entry.name}")
        loaded[definition.key] = definition
    return loaded


def list_builtins() -> tuple[InstrumentDefinition, ...]:
    """All built-in definitions, ordered by code then version."""
    return tuple(d for _, d in sorted(_load().items()))


def get_builtin(code: str, version: str | None = None) -> InstrumentDefinition:
    """The built-in definition for ``code``; ``version`` is required only when several versions exist."""
    matches = [d for (c, v), d in _load().items() if c == code and (version is None or v == version)]
    if len(matches) != 1:
        what = f"{code}@{version}" if version else code
        reason = "unknown" if not matches else "ambiguous; pass a version"
        raise UnknownInstrumentError(f"built-in instrument {what}: {reason}")
    return matches[0]
