"""Declarative, versioned instrument definitions: structure, codes and scoring rules, never item wording."""

from __future__ import annotations

import math
from enum import StrEnum
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

ShortText = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Name = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,39}$")]
Code = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]{0,31}$")]
TOTAL = "total"


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class InstrumentKind(StrEnum):
    ALLIANCE = "alliance"
    OUTCOME = "outcome"


class RaterRole(StrEnum):
    PATIENT = "patient"
    CASE_MANAGER = "case_manager"
    OBSERVER = "observer"


class ResponseType(StrEnum):
    LIKERT = "likert"
    VAS = "vas"
    SINGLE_SCORE = "single_score"


class Aggregate(StrEnum):
    SUM = "sum"
    MEAN = "mean"


class Direction(StrEnum):
    HIGHER_BETTER = "higher_better"
    HIGHER_WORSE = "higher_worse"


class MissingMethod(StrEnum):
    PRORATE_MEAN = "prorate_mean"
    NONE = "none"


class Evidence(StrEnum):
    """Evidence labels of the domain reference: S confirmed, M general knowledge, D design choice, V run."""

    S = "S"
    M = "M"
    D = "D"
    V = "V"


class Comparison(StrEnum):
    LT = "lt"
    LE = "le"
    GT = "gt"
    GE = "ge"

    def holds(self, value: float, threshold: float) -> bool:
        match self:
            case Comparison.LT:
                return value < threshold
            case Comparison.LE:
                return value <= threshold
            case Comparison.GT:
                return value > threshold
            case Comparison.GE:
                return value >= threshold


class CutoffRole(StrEnum):
    CLINICAL = "clinical"
    CONCERN = "concern"
    REMISSION = "remission"


# Response codes of real instruments are small numbers; the bound keeps range arithmetic finite.
RESPONSE_BOUND = 1e6


class ResponseSpec(Frozen):
    min: float = Field(ge=-RESPONSE_BOUND, le=RESPONSE_BOUND)
    max: float = Field(ge=-RESPONSE_BOUND, le=RESPONSE_BOUND)
    type: ResponseType
    step: float | None = Field(default=None, ge=1e-6, le=RESPONSE_BOUND)

    @model_validator(mode="after")
    def _check(self) -> Self:
        if not self.min < self.max:
            raise ValueError("response.min must be below response.max")
        if self.type is ResponseType.LIKERT:
            if not (float(self.min).is_integer() and float(self.max).is_integer()):
                raise ValueError("likert bounds must be integers")
            if self.step not in (None, 1):
                raise ValueError("likert responses have step 1")
        if self.step is not None:
            n_steps = (self.max - self.min) / self.step
            if not math.isclose(n_steps, round(n_steps), abs_tol=1e-9):
                raise ValueError("response range must be a whole number of steps")
        return self

    @property
    def integral(self) -> bool:
        return self.type is ResponseType.LIKERT or self.step == 1


class MissingRule(Frozen):
    """Per-scale rule: set exactly one of max_missing / min_valid.

    method prorate_mean: sum scales score mean(valid) x n_items; none: aggregate the valid items as they are
    (a sum of the valid items, as METeOR does for the HoNOS total; a mean is the mean of the valid items).
    """

    max_missing: int | None = Field(default=None, ge=0)
    min_valid: int | None = Field(default=None, ge=1)
    method: MissingMethod

    @model_validator(mode="after")
    def _one_of(self) -> Self:
        if (self.max_missing is None) == (self.min_valid is None):
            raise ValueError("set exactly one of max_missing or min_valid")
        return self

    def allowed_missing(self, n_items: int) -> int:
        if self.max_missing is not None:
            return min(self.max_missing, n_items - 1)
        assert self.min_valid is not None
        return max(n_items - self.min_valid, 0)


class ReliableChange(Frozen):
    """Raw-point change counted as reliable: |delta| >= threshold (or > when inclusive is false)."""

    threshold: float = Field(gt=0)
    inclusive: bool = True
    scale: Name = TOTAL
    label: ShortText
    evidence: Evidence
    source: ShortText


class Cutoff(Frozen):
    """A named threshold; a score is in the flagged range when `value <in_range_when> threshold` holds."""

    name: Name
    role: CutoffRole
    threshold: float
    in_range_when: Comparison
    scale: Name = TOTAL
    evidence: Evidence
    source: ShortText

    def in_range(self, value: float) -> bool:
        return self.in_range_when.holds(value, self.threshold)


class Band(Frozen):
    """A band runs from `min` (inclusive) up to the next band's `min`; `max` documents the whole-point top."""

    label: Name
    min: float
    max: float


class BandSet(Frozen):
    name: Name
    scale: Name = TOTAL
    bands: tuple[Band, ...] = Field(min_length=2)
    evidence: Evidence
    source: ShortText

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        for band in self.bands:
            if band.min > band.max:
                raise ValueError(f"band {band.label}: min above max")
        for lower, upper in zip(self.bands, self.bands[1:], strict=False):
            if not lower.max < upper.min:
                raise ValueError(f"bands {lower.label} and {upper.label} overlap or are unordered")
        return self

    def classify(self, value: float) -> str | None:
        if value < self.bands[0].min or value > self.bands[-1].max:
            return None
        label = self.bands[0].label
        for band in self.bands:
            if value >= band.min:
                label = band.label
        return label


class AllianceDropRule(Frozen):
    """Flag an alliance concern when the scale falls below `below`, drops by at least `min_drop` since the
    previous rating, or (use_reliable_change) drops by a reliable amount. Unset criteria are not evaluated."""

    scale: Name = TOTAL
    below: float | None = None
    min_drop: float | None = Field(default=None, gt=0)
    use_reliable_change: bool = False
    evidence: Evidence
    source: ShortText


class InstrumentDefinition(Frozen):
    code: Code
    version: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$")]
    kind: InstrumentKind
    name: ShortText
    raters: tuple[RaterRole, ...] = Field(min_length=1)
    n_items: int = Field(ge=1, le=200)
    response: ResponseSpec
    special_codes: dict[int, Name] = Field(default_factory=dict)
    reverse: tuple[int, ...] = ()
    scales: dict[Name, tuple[int, ...]]
    aggregate: Aggregate
    missing: dict[Name, MissingRule]
    direction: Direction
    reliable_change: ReliableChange | None = None
    cutoffs: tuple[Cutoff, ...] = ()
    bands: tuple[BandSet, ...] = ()
    alliance_drop: AllianceDropRule | None = None
    provisional: bool = False
    licence: ShortText
    citation: ShortText
    notes: tuple[ShortText, ...] = ()

    @model_validator(mode="after")
    def _check(self) -> Self:
        problems: list[str] = []
        n = self.n_items
        if len(set(self.raters)) != len(self.raters):
            problems.append("raters repeat")
        if TOTAL not in self.scales:
            problems.append("a 'total' scale is required")
        for name, items in self.scales.items():
            if not items:
                problems.append(f"scale {name} is empty")
            if len(set(items)) != len(items):
                problems.append(f"scale {name} repeats an item")
            bad = [i for i in items if not 1 <= i <= n]
            if bad:
                problems.append(f"scale {name}: items {bad} outside 1..{n}")
        if set(self.missing) != set(self.scales):
            problems.append("missing rules must name exactly the scales")
        for name, rule in self.missing.items():
            size = len(self.scales.get(name, ()))
            if rule.min_valid is not None and rule.min_valid > size:
                problems.append(f"missing.{name}.min_valid exceeds the scale's {size} items")
        if len(set(self.reverse)) != len(self.reverse) or any(not 1 <= i <= n for i in self.reverse):
            problems.append(f"reverse items must be distinct and within 1..{n}")
        for special in self.special_codes:
            if self.response.min <= special <= self.response.max:
                problems.append(f"special code {special} lies inside the response range")
        if self.response.type is ResponseType.SINGLE_SCORE and (
            n != 1 or self.scales.get(TOTAL) != (1,) or len(self.scales) != 1 or self.reverse
        ):
            problems.append("single_score instruments have n_items 1, only total [1] and no reverse items")
        referenced = [c.scale for c in self.cutoffs] + [b.scale for b in self.bands]
        referenced += [r.scale for r in (self.reliable_change, self.alliance_drop) if r is not None]
        problems += [f"unknown scale {s}" for s in referenced if s not in self.scales]
        if len({c.name for c in self.cutoffs}) != len(self.cutoffs):
            problems.append("cutoff names repeat")
        if len({b.name for b in self.bands}) != len(self.bands):
            problems.append("band set names repeat")
        if self.kind is InstrumentKind.ALLIANCE and self.alliance_drop is None:
            problems.append("alliance instruments need an alliance_drop rule")
        if self.kind is InstrumentKind.OUTCOME and self.alliance_drop is not None:
            problems.append("alliance_drop applies to alliance instruments only")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @property
    def key(self) -> tuple[str, str]:
        return (self.code, self.version)

    def scale_bounds(self, scale: str) -> tuple[float, float]:
        """Lowest and highest possible value of a complete (or prorated) scale."""
        size = len(self.scales[scale]) if self.aggregate is Aggregate.SUM else 1
        return (self.response.min * size, self.response.max * size)

    def clinical_cutoff(self) -> Cutoff | None:
        return next((c for c in self.cutoffs if c.role is CutoffRole.CLINICAL), None)
