"""Pure scoring engine: validate raw responses against a definition and derive scale scores."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from app.instruments.definition import (
    TOTAL,
    Aggregate,
    InstrumentDefinition,
    MissingMethod,
    ResponseType,
)

_ITEM_KEY = re.compile(r"^[1-9][0-9]*$")
_STEP_TOLERANCE = 1e-6


class ProblemType(StrEnum):
    UNKNOWN_ITEM = "unknown_item"
    NOT_A_NUMBER = "not_a_number"
    NOT_INTEGER = "not_integer"
    OUT_OF_RANGE = "out_of_range"
    STEP = "step"
    TOO_MANY_MISSING = "too_many_missing"
    SCORE_REQUIRED = "score_required"
    SCORE_NOT_ALLOWED = "score_not_allowed"
    ITEMS_NOT_ALLOWED = "items_not_allowed"


class ItemProblem(BaseModel):
    model_config = ConfigDict(frozen=True)

    pointer: str
    type: ProblemType
    message: str


class ItemValidationError(ValueError):
    """Raised when a response set cannot be scored; carries every problem found, each with a JSON pointer."""

    def __init__(self, code: str, problems: list[ItemProblem]) -> None:
        self.code = code
        self.problems = tuple(problems)
        super().__init__(f"{code}: " + "; ".join(f"{p.pointer}: {p.message}" for p in problems))


class ScaleScore(BaseModel):
    model_config = ConfigDict(frozen=True)

    value: float | None
    n_valid: int
    n_items: int
    prorated: bool
    valid: bool
    item_mean: float | None


class ScoreResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    code: str
    version: str
    provisional: bool
    scales: dict[str, ScaleScore]
    total: float
    valid: bool
    missing_items: tuple[int, ...]
    special_items: dict[str, str]


def _pointer(*parts: str) -> str:
    return "".join("/" + p.replace("~", "~0").replace("/", "~1") for p in parts)


def _check_value(
    definition: InstrumentDefinition, value: object, pointer: str, problems: list[ItemProblem]
) -> float | str | None:
    """Return the numeric value, the special-code meaning (str), or None when absent/invalid."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        problems.append(ItemProblem(pointer=pointer, type=ProblemType.NOT_A_NUMBER, message="not a number"))
        return None
    x = float(value)
    if not math.isfinite(x):
        problems.append(ItemProblem(pointer=pointer, type=ProblemType.NOT_A_NUMBER, message="not finite"))
        return None
    if x.is_integer() and int(x) in definition.special_codes:
        return definition.special_codes[int(x)]
    spec = definition.response
    if not spec.min <= x <= spec.max:
        extra = f" or a special code {sorted(definition.special_codes)}" if definition.special_codes else ""
        message = f"{value} is outside {spec.min:g}..{spec.max:g}{extra}"
        problems.append(ItemProblem(pointer=pointer, type=ProblemType.OUT_OF_RANGE, message=message))
        return None
    if spec.integral and not x.is_integer():
        problems.append(
            ItemProblem(pointer=pointer, type=ProblemType.NOT_INTEGER, message="must be a whole number")
        )
        return None
    if spec.step is not None and not spec.integral:
        steps = (x - spec.min) / spec.step
        if abs(steps - round(steps)) > _STEP_TOLERANCE:
            message = f"must be a multiple of {spec.step:g}"
            problems.append(ItemProblem(pointer=pointer, type=ProblemType.STEP, message=message))
            return None
    return x


def _collect(
    definition: InstrumentDefinition,
    items: Mapping[str, int | float | None] | None,
    score: float | None,
    problems: list[ItemProblem],
) -> tuple[dict[int, float], dict[str, str], str]:
    values: dict[int, float] = {}
    specials: dict[str, str] = {}
    if definition.response.type is ResponseType.SINGLE_SCORE:
        if items is not None:
            problems.append(
                ItemProblem(
                    pointer="/items", type=ProblemType.ITEMS_NOT_ALLOWED, message="single-score instrument"
                )
            )
        if score is None:
            problems.append(
                ItemProblem(pointer="/score", type=ProblemType.SCORE_REQUIRED, message="score required")
            )
        raw: Mapping[str, object] = {"1": score} if score is not None else {}
        pointer_of = {"1": "/score"}
        missing_pointer = "/score"
    else:
        if score is not None:
            problems.append(
                ItemProblem(
                    pointer="/score",
                    type=ProblemType.SCORE_NOT_ALLOWED,
                    message="instrument is scored from items",
                )
            )
        raw = items or {}
        pointer_of = {}
        missing_pointer = "/items"
    for key, value in raw.items():
        # hot path: item keys that pass the check need no escaping ("/items/3")
        known = isinstance(key, str) and _ITEM_KEY.match(key) is not None and int(key) <= definition.n_items
        pointer = pointer_of.get(key) or ("/items/" + key if known else _pointer("items", str(key)))
        if not known:
            message = f"unknown item {key!r}; items are '1'..'{definition.n_items}'"
            problems.append(ItemProblem(pointer=pointer, type=ProblemType.UNKNOWN_ITEM, message=message))
            continue
        checked = _check_value(definition, value, pointer, problems)
        if isinstance(checked, str):
            specials[key] = checked
        elif checked is not None:
            values[int(key)] = checked
    return values, specials, missing_pointer


def _scale(definition: InstrumentDefinition, name: str, values: Mapping[int, float]) -> ScaleScore:
    items = definition.scales[name]
    rule = definition.missing[name]
    valid = [values[i] for i in items if i in values]
    n_missing = len(items) - len(valid)
    item_mean = math.fsum(valid) / len(valid) if valid else None
    if item_mean is None or n_missing > rule.allowed_missing(len(items)):
        return ScaleScore.model_construct(  # internal values: no re-validation on the hot path
            value=None,
            n_valid=len(valid),
            n_items=len(items),
            prorated=False,
            valid=False,
            item_mean=item_mean,
        )
    prorated = n_missing > 0 and rule.method is MissingMethod.PRORATE_MEAN
    if definition.aggregate is Aggregate.MEAN:
        value = item_mean
    elif prorated:
        value = item_mean * len(items)
    else:
        value = math.fsum(valid)
    return ScaleScore.model_construct(
        value=value,
        n_valid=len(valid),
        n_items=len(items),
        prorated=prorated,
        valid=True,
        item_mean=item_mean,
    )


def score(
    definition: InstrumentDefinition,
    items: Mapping[str, int | float | None] | None,
    score: float | None = None,
) -> ScoreResult:
    """Score one administration.

    Items are keyed by item number as a string ("1".."n"); an absent key, ``None`` or a special code is a
    missing item. Reverse-keyed items are scored as ``min + max - x``. Raises ``ItemValidationError`` listing
    every problem, including a total that fails its missing-item rule (pointer ``/items`` or ``/score``).
    """
    problems: list[ItemProblem] = []
    values, specials, missing_pointer = _collect(definition, items, score, problems)
    if problems:
        raise ItemValidationError(definition.code, problems)
    spec = definition.response
    keyed = {i: (spec.min + spec.max - x if i in definition.reverse else x) for i, x in values.items()}
    scales = {name: _scale(definition, name, keyed) for name in definition.scales}
    total = scales[TOTAL]
    missing = tuple(i for i in range(1, definition.n_items + 1) if i not in values)
    if total.value is None:
        rule = definition.missing[TOTAL]
        allowed = rule.allowed_missing(total.n_items)
        n_missing = total.n_items - total.n_valid
        message = f"{n_missing} of {total.n_items} missing ({list(missing)}); at most {allowed} allowed"
        problem = ItemProblem(pointer=missing_pointer, type=ProblemType.TOO_MANY_MISSING, message=message)
        raise ItemValidationError(definition.code, [problem])
    return ScoreResult.model_construct(
        code=definition.code,
        version=definition.version,
        provisional=definition.provisional,
        scales=scales,
        total=total.value,
        valid=all(s.valid for s in scales.values()),
        missing_items=missing,
        special_items=specials,
    )
