"""The built-in JSON files hold structure only: known keys, short strings, no item wording."""

import json
from collections.abc import Iterator
from importlib.resources import files
from typing import Any

import pytest

from app.instruments.definition import InstrumentDefinition

FOLDER = files("app.instruments").joinpath("definitions")
PATHS = sorted((p for p in FOLDER.iterdir() if p.name.endswith(".json")), key=lambda p: p.name)
FREE_TEXT = {"name", "licence", "citation", "notes", "source", "label"}
TOP_LEVEL = set(InstrumentDefinition.model_fields)


def strings(node: Any, key: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(node, str):
        yield key, node
    elif isinstance(node, dict):
        for k, v in node.items():
            yield from strings(v, k)
    elif isinstance(node, list):
        for v in node:
            yield from strings(v, key)


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.name)
def test_definition_file_is_structure_only(path: Any) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    assert set(data) <= TOP_LEVEL
    assert path.name == f"{data['code']}.json"
    InstrumentDefinition.model_validate_json(path.read_text(encoding="utf-8"))
    for key, text in strings(data):
        assert len(text) <= 200, f"{path.name}: {key} string longer than 200 characters"
        if key not in FREE_TEXT:
            assert len(text) <= 64, f"{path.name}: unexpected long value under {key}"
    assert sum(len(t) for k, t in strings(data) if k == "notes") <= 1200


def test_files_present() -> None:
    assert len(PATHS) == 11
