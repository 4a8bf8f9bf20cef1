"""Pure change flags between two scores of the same instrument version: reliable change, cut-offs, bands and
alliance drops. Comparisons run on values rounded to 9 decimals so float noise in VAS sums (35.999999...) does
not flip a flag; stored scores are never rounded."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from app.instruments.definition import TOTAL, CutoffRole, Direction, InstrumentDefinition
from app.instruments.scoring import ScoreResult

_DECIMALS = 9


class ChangeInputError(ValueError):
    """The scores cannot be compared under this definition (other instrument/version, or no valid value)."""


class ReliableChangeClass(StrEnum):
    IMPROVEMENT = "reliable_improvement"
    DETERIORATION = "reliable_deterioration"
    NONE = "no_reliable_change"


class Crossing(StrEnum):
    INTO = "into"
    OUT_OF = "out_of"
    NONE = "none"


class ClinicalSignificance(StrEnum):
    """Jacobson & Truax (1991) classes, using the definition's clinical cut-off."""

    RECOVERED = "recovered"
    IMPROVED = "improved"
    UNCHANGED = "unchanged"
    DETERIORATED = "deteriorated"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class CutoffStatus(_Frozen):
    name: str
    role: CutoffRole
    threshold: float
    in_range: bool
    previous_in_range: bool | None
    crossing: Crossing | None


class BandStatus(_Frozen):
    name: str
    band: str | None
    previous_band: str | None


class AllianceDrop(_Frozen):
    evaluable: bool
    flagged: bool
    below: bool | None
    dropped: bool | None
    reliable_drop: bool | None


class ChangeFlags(_Frozen):
    code: str
    version: str
    scale: str
    previous: float | None
    current: float
    delta: float | None
    improvement: float | None
    reliable_change: ReliableChangeClass | None
    reliable_change_threshold: float | None
    cutoffs: tuple[CutoffStatus, ...]
    bands: tuple[BandStatus, ...]
    clinical_significance: ClinicalSignificance | None
    alliance_drop: AllianceDrop | None


def _q(value: float) -> float:
    return round(value, _DECIMALS)


def improvement(definition: InstrumentDefinition, previous: float, current: float) -> float:
    """Signed change where positive always means better, whatever the instrument's direction."""
    delta = _q(current - previous)
    return delta if definition.direction is Direction.HIGHER_BETTER else -delta


def classify_reliable_change(
    definition: InstrumentDefinition, previous: float, current: float, scale: str = TOTAL
) -> ReliableChangeClass | None:
    """Reliable improvement/deterioration by the definition's raw-point threshold; None if none applies."""
    rc = definition.reliable_change
    if rc is None or rc.scale != scale:
        return None
    gain = improvement(definition, previous, current)
    reliable = abs(gain) >= rc.threshold if rc.inclusive else abs(gain) > rc.threshold
    if not reliable:
        return ReliableChangeClass.NONE
    return ReliableChangeClass.IMPROVEMENT if gain > 0 else ReliableChangeClass.DETERIORATION


def cutoff_statuses(
    definition: InstrumentDefinition, current: float, previous: float | None = None, scale: str = TOTAL
) -> tuple[CutoffStatus, ...]:
    """Where the score sits relative to each cut-off on the scale, and whether it crossed into/out of it."""
    statuses = []
    for cutoff in definition.cutoffs:
        if cutoff.scale != scale:
            continue
        now = cutoff.in_range(_q(current))
        before = None if previous is None else cutoff.in_range(_q(previous))
        crossing = None
        if before is not None:
            crossing = Crossing.NONE if before == now else (Crossing.INTO if now else Crossing.OUT_OF)
        statuses.append(
            CutoffStatus(
                name=cutoff.name,
                role=cutoff.role,
                threshold=cutoff.threshold,
                in_range=now,
                previous_in_range=before,
                crossing=crossing,
            )
        )
    return tuple(statuses)


def band_statuses(
    definition: InstrumentDefinition, current: float, previous: float | None = None, scale: str = TOTAL
) -> tuple[BandStatus, ...]:
    return tuple(
        BandStatus(
            name=band_set.name,
            band=band_set.classify(_q(current)),
            previous_band=None if previous is None else band_set.classify(_q(previous)),
        )
        for band_set in definition.bands
        if band_set.scale == scale
    )


def alliance_drop(
    definition: InstrumentDefinition, current: float, previous: float | None = None, scale: str = TOTAL
) -> AllianceDrop | None:
    """Evaluate the definition's alliance-drop rule; None for instruments without one (outcomes)."""
    rule = definition.alliance_drop
    if rule is None or rule.scale != scale:
        return None
    below = None if rule.below is None else _q(current) < rule.below
    dropped = None
    reliable_drop = None
    if previous is not None:
        gain = improvement(definition, previous, current)
        if rule.min_drop is not None:
            dropped = -gain >= rule.min_drop
        if rule.use_reliable_change:
            rc = classify_reliable_change(definition, previous, current, scale)
            reliable_drop = None if rc is None else rc is ReliableChangeClass.DETERIORATION
    criteria = [c for c in (below, dropped, reliable_drop) if c is not None]
    return AllianceDrop(
        evaluable=bool(criteria),
        flagged=any(criteria),
        below=below,
        dropped=dropped,
        reliable_drop=reliable_drop,
    )


def _clinical_significance(
    definition: InstrumentDefinition,
    rc: ReliableChangeClass | None,
    cutoffs: tuple[CutoffStatus, ...],
) -> ClinicalSignificance | None:
    clinical = definition.clinical_cutoff()
    status = next((c for c in cutoffs if clinical is not None and c.name == clinical.name), None)
    if rc is None or status is None:
        return None
    if rc is ReliableChangeClass.DETERIORATION:
        return ClinicalSignificance.DETERIORATED
    if rc is ReliableChangeClass.NONE:
        return ClinicalSignificance.UNCHANGED
    if status.previous_in_range and not status.in_range:
        return ClinicalSignificance.RECOVERED
    return ClinicalSignificance.IMPROVED


def _value(definition: InstrumentDefinition, score: float | ScoreResult, scale: str, which: str) -> float:
    if not isinstance(score, ScoreResult):
        return float(score)
    if (score.code, score.version) != definition.key:
        raise ChangeInputError(
            f"{which} score is {score.code}@{score.version}, not {definition.code}@{definition.version}"
        )
    result = score.scales.get(scale)
    if result is None or result.value is None:
        raise ChangeInputError(f"{which} score has no valid value for scale {scale!r}")
    return result.value


def assess_change(
    definition: InstrumentDefinition,
    current: float | ScoreResult,
    previous: float | ScoreResult | None = None,
    scale: str = TOTAL,
) -> ChangeFlags:
    """All flags for ``current`` against ``previous``, the last score of the same instrument version."""
    if scale not in definition.scales:
        raise ChangeInputError(f"{definition.code} has no scale {scale!r}")
    now = _value(definition, current, scale, "current")
    before = None if previous is None else _value(definition, previous, scale, "previous")
    rc = None if before is None else classify_reliable_change(definition, before, now, scale)
    cutoffs = cutoff_statuses(definition, now, before, scale)
    rc_threshold = definition.reliable_change
    return ChangeFlags(
        code=definition.code,
        version=definition.version,
        scale=scale,
        previous=before,
        current=now,
        delta=None if before is None else _q(now - before),
        improvement=None if before is None else improvement(definition, before, now),
        reliable_change=rc,
        reliable_change_threshold=rc_threshold.threshold
        if rc_threshold is not None and rc_threshold.scale == scale
        else None,
        cutoffs=cutoffs,
        bands=band_statuses(definition, now, before, scale),
        clinical_significance=_clinical_significance(definition, rc, cutoffs),
        alliance_drop=alliance_drop(definition, now, before, scale),
    )
