"""The definition model's validators and the built-in registry."""

import copy
import json
from importlib.resources import files
from typing import Any

import pytest
from pydantic import ValidationError

from app.instruments.builtin import UnknownInstrumentError, get_builtin, list_builtins
from app.instruments.definition import (
    Direction,
    InstrumentDefinition,
    InstrumentKind,
    RaterRole,
    ResponseType,
)

EXPECTED = {
    "wai-sr": (InstrumentKind.ALLIANCE, 12),
    "wai-sr-t": (InstrumentKind.ALLIANCE, 12),
    "srs": (InstrumentKind.ALLIANCE, 4),
    "haq-ii": (InstrumentKind.ALLIANCE, 19),
    "star-p": (InstrumentKind.ALLIANCE, 12),
    "star-c": (InstrumentKind.ALLIANCE, 12),
    "honos": (InstrumentKind.OUTCOME, 12),
    "k10": (InstrumentKind.OUTCOME, 10),
    "lsp-16": (InstrumentKind.OUTCOME, 16),
    "ors": (InstrumentKind.OUTCOME, 4),
    "gaf": (InstrumentKind.OUTCOME, 1),
}


def raw(code: str) -> dict[str, Any]:
    text = files("app.instruments").joinpath("definitions", f"{code}.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def test_builtins_are_the_expected_set() -> None:
    assert {d.code: (d.kind, d.n_items) for d in list_builtins()} == EXPECTED
    assert [d.key for d in list_builtins()] == sorted(d.key for d in list_builtins())


def test_get_builtin() -> None:
    assert get_builtin("honos").version == "1998"
    assert get_builtin("honos", "1998") is get_builtin("honos")
    with pytest.raises(UnknownInstrumentError):
        get_builtin("wai-36")
    with pytest.raises(UnknownInstrumentError):
        get_builtin("honos", "2018")


def test_confirmed_structure() -> None:
    wai = get_builtin("wai-sr")
    assert wai.scales["task"] == (1, 2, 10, 12)
    assert wai.scales["bond"] == (3, 5, 7, 9)
    assert wai.scales["goal"] == (4, 6, 8, 11)
    assert wai.raters == (RaterRole.PATIENT,)
    assert get_builtin("wai-sr-t").raters == (RaterRole.CASE_MANAGER,)
    assert get_builtin("haq-ii").reverse == (4, 8, 11, 16, 19)
    honos = get_builtin("honos")
    assert honos.special_codes == {9: "not_known"}
    assert honos.direction is Direction.HIGHER_WORSE
    assert honos.reliable_change is not None
    assert honos.reliable_change.threshold == 8
    assert get_builtin("lsp-16").special_codes == {7: "unable_to_rate", 9: "not_stated"}
    assert list(get_builtin("lsp-16").scales) == ["total"]
    assert get_builtin("gaf").response.type is ResponseType.SINGLE_SCORE
    ors = get_builtin("ors")
    assert ors.reliable_change is not None
    assert ors.reliable_change.evidence == "M"
    k10 = get_builtin("k10")
    assert k10.reliable_change is not None
    assert k10.reliable_change.label == "local estimate"
    assert [b.min for b in k10.bands[0].bands] == [10, 16, 22, 30]


@pytest.mark.parametrize("definition", list_builtins(), ids=lambda d: d.code)
def test_scale_bounds_match_documented_ranges(definition: InstrumentDefinition) -> None:
    documented = {
        "wai-sr": (1, 5), "wai-sr-t": (1, 5), "srs": (0, 40), "haq-ii": (19, 114), "star-p": (0, 48),
        "star-c": (0, 48), "honos": (0, 48), "k10": (10, 50), "lsp-16": (0, 48), "ors": (0, 40),
        "gaf": (1, 100),
    }  # fmt: skip
    assert definition.scale_bounds("total") == documented[definition.code]


def test_honos_subscale_bounds() -> None:
    honos = get_builtin("honos")
    assert [honos.scale_bounds(s) for s in ("behaviour", "impairment", "symptoms", "social")] == [
        (0, 12), (0, 8), (0, 12), (0, 16)
    ]  # fmt: skip


def test_definitions_are_frozen() -> None:
    with pytest.raises(ValidationError):
        get_builtin("k10").n_items = 11  # type: ignore[misc]


def mutated(code: str, changes: dict[str, Any]) -> dict[str, Any]:
    data = copy.deepcopy(raw(code))
    data.update(changes)
    return data


@pytest.mark.parametrize(
    ("code", "changes", "message"),
    [
        ("wai-sr", {"scales": {"task": [1, 13], "total": list(range(1, 13))}}, "outside 1..12"),
        ("wai-sr", {"scales": {"task": [1, 1]}}, "'total' scale is required"),
        ("wai-sr", {"reverse": [0]}, "reverse items"),
        ("haq-ii", {"reverse": [4, 4]}, "reverse items"),
        ("honos", {"special_codes": {"3": "not_known"}}, "inside the response range"),
        ("k10", {"missing": {}}, "missing rules must name exactly the scales"),
        ("k10", {"missing": {"total": {"method": "none"}}}, "exactly one of max_missing or min_valid"),
        ("k10", {"missing": {"total": {"method": "none", "min_valid": 11}}}, "exceeds"),
        ("srs", {"alliance_drop": None}, "alliance instruments need"),
        (
            "k10",
            {"alliance_drop": {"min_drop": 1, "evidence": "D", "source": "x"}},
            "alliance instruments only",
        ),
        ("k10", {"item_text": "x"}, "Extra inputs"),
        ("k10", {"response": {"min": 1, "max": 5.5, "type": "likert"}}, "integers"),
        ("srs", {"response": {"min": 0, "max": 10, "type": "vas", "step": 0.3}}, "whole number of steps"),
        ("gaf", {"n_items": 2, "scales": {"total": [1, 2]}}, "single_score"),
        ("honos", {"cutoffs": [{**raw("honos")["cutoffs"][0], "scale": "nope"}]}, "unknown scale nope"),
        ("wai-sr", {"raters": ["patient", "patient"]}, "raters repeat"),
        ("wai-sr", {"raters": ["clinician"]}, "raters"),
        ("k10", {"notes": ["x" * 201]}, "at most 200"),
        ("k10", {"code": "K10"}, "pattern"),
    ],
)
def test_invalid_definitions_are_rejected(code: str, changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        InstrumentDefinition.model_validate(mutated(code, changes))


def test_overlapping_bands_are_rejected() -> None:
    data = raw("k10")
    data["bands"][0]["bands"][1]["min"] = 15
    with pytest.raises(ValidationError, match="overlap"):
        InstrumentDefinition.model_validate(data)


def test_k10_band_classification_of_prorated_totals() -> None:
    abs_bands = get_builtin("k10").bands[0]
    assert [abs_bands.classify(x) for x in (10, 15, 15.6, 16, 29.9, 30, 50, 9.9, 50.1)] == [
        "low", "low", "low", "moderate", "high", "very_high", "very_high", None, None
    ]  # fmt: skip


@pytest.mark.parametrize("definition", list_builtins(), ids=lambda d: d.code)
def test_json_round_trip(definition: InstrumentDefinition) -> None:
    """Definitions survive being stored as JSON (e.g. a JSONB column) and read back."""
    assert InstrumentDefinition.model_validate_json(definition.model_dump_json()) == definition
    assert InstrumentDefinition.model_validate(json.loads(definition.model_dump_json())) == definition
