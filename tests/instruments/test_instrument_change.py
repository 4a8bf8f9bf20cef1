"""Change flags: reliable change, cut-off crossings, bands, clinical significance and alliance drops."""

from collections.abc import Sequence

import pytest

from app.instruments.builtin import get_builtin
from app.instruments.change import (
    ChangeInputError,
    ClinicalSignificance,
    Crossing,
    ReliableChangeClass,
    alliance_drop,
    assess_change,
    classify_reliable_change,
)
from app.instruments.scoring import score


def as_items(values: Sequence[float | int]) -> dict[str, float | int]:
    return {str(i): v for i, v in enumerate(values, start=1)}


class TestHonos:
    @pytest.mark.parametrize(
        ("previous", "current", "rc", "significance", "crossing"),
        [
            (20, 11, ReliableChangeClass.IMPROVEMENT, ClinicalSignificance.IMPROVED, Crossing.NONE),
            (20, 10, ReliableChangeClass.IMPROVEMENT, ClinicalSignificance.RECOVERED, Crossing.OUT_OF),
            (18, 10, ReliableChangeClass.IMPROVEMENT, ClinicalSignificance.RECOVERED, Crossing.OUT_OF),
            (17, 10, ReliableChangeClass.NONE, ClinicalSignificance.UNCHANGED, Crossing.OUT_OF),
            (10, 18, ReliableChangeClass.DETERIORATION, ClinicalSignificance.DETERIORATED, Crossing.INTO),
            (8, 9, ReliableChangeClass.NONE, ClinicalSignificance.UNCHANGED, Crossing.NONE),
        ],
    )
    def test_reliable_and_clinical_change(
        self,
        previous: float,
        current: float,
        rc: ReliableChangeClass,
        significance: ClinicalSignificance,
        crossing: Crossing,
    ) -> None:
        flags = assess_change(get_builtin("honos"), current, previous)
        assert flags.reliable_change is rc
        assert flags.clinical_significance is significance
        clinical = next(c for c in flags.cutoffs if c.name == "clinical")
        assert clinical.crossing is crossing
        assert flags.delta == current - previous
        assert flags.improvement == previous - current  # higher is worse
        assert flags.reliable_change_threshold == 8
        assert flags.alliance_drop is None

    def test_remission_and_severity_bands(self) -> None:
        flags = assess_change(get_builtin("honos"), 5, 13)
        remission = next(c for c in flags.cutoffs if c.name == "remission")
        assert (remission.in_range, remission.previous_in_range, remission.crossing) == (
            True,
            False,
            Crossing.INTO,
        )
        assert [(b.name, b.previous_band, b.band) for b in flags.bands] == [("severity", "severe", "mild")]
        assert [b.band for b in assess_change(get_builtin("honos"), 12).bands] == ["moderate"]

    def test_first_assessment_has_no_change(self) -> None:
        flags = assess_change(get_builtin("honos"), 14)
        assert (flags.previous, flags.delta, flags.reliable_change, flags.clinical_significance) == (
            None, None, None, None
        )  # fmt: skip
        assert [(c.name, c.in_range, c.crossing) for c in flags.cutoffs] == [
            ("clinical", True, None), ("remission", False, None)
        ]  # fmt: skip

    def test_from_score_results_and_subscales(self) -> None:
        honos = get_builtin("honos")
        before = score(honos, as_items([2] * 12))
        after = score(honos, as_items([1] * 12))
        flags = assess_change(honos, after, before)
        assert (flags.previous, flags.current, flags.reliable_change) == (
            24,
            12,
            ReliableChangeClass.IMPROVEMENT,
        )
        social = assess_change(honos, after, before, scale="social")
        assert (social.previous, social.current) == (8, 4)
        assert social.reliable_change is None  # the threshold is defined for the total only
        assert social.cutoffs == ()
        assert social.bands == ()

    def test_invalid_inputs(self) -> None:
        honos = get_builtin("honos")
        partial = score(honos, as_items([1] * 12) | {"4": 9, "5": 9})
        with pytest.raises(ChangeInputError, match="no valid value"):
            assess_change(honos, partial, scale="impairment")
        with pytest.raises(ChangeInputError, match="not honos"):
            assess_change(honos, score(get_builtin("k10"), as_items([1] * 10)))
        with pytest.raises(ChangeInputError, match="no scale"):
            assess_change(honos, 3, scale="task")


class TestOrs:
    def test_float_noise_does_not_hide_reliable_change(self) -> None:
        ors = get_builtin("ors")
        before = score(ors, as_items([5.1, 5.1, 5.0, 5.1]))  # 20.3
        after = score(ors, as_items([6.4, 6.4, 6.2, 6.3]))  # 25.3
        flags = assess_change(ors, after, before)
        assert flags.improvement == pytest.approx(5.0)
        assert flags.reliable_change is ReliableChangeClass.IMPROVEMENT
        assert flags.clinical_significance is ClinicalSignificance.RECOVERED
        assert flags.cutoffs[0].crossing is Crossing.OUT_OF

    def test_deterioration_into_clinical_range(self) -> None:
        flags = assess_change(get_builtin("ors"), 20.3, 25.3)
        assert flags.reliable_change is ReliableChangeClass.DETERIORATION
        assert flags.clinical_significance is ClinicalSignificance.DETERIORATED
        assert flags.cutoffs[0].crossing is Crossing.INTO

    def test_cutoff_boundary(self) -> None:
        assert assess_change(get_builtin("ors"), 25.0).cutoffs[0].in_range is False
        assert assess_change(get_builtin("ors"), 24.9).cutoffs[0].in_range is True

    def test_just_under_threshold(self) -> None:
        assert classify_reliable_change(get_builtin("ors"), 20.0, 24.9) is ReliableChangeClass.NONE


class TestSrsAllianceDrop:
    @pytest.mark.parametrize(
        ("previous", "current", "flagged", "below", "dropped"),
        [
            (38.0, 37.0, True, False, True),
            (38.0, 37.1, False, False, False),
            (36.9, 35.9, True, True, True),
            (None, 35.9, True, True, None),
            (None, 36.0, False, False, None),
            (35.0, 39.0, False, False, False),
        ],
    )
    def test_rule(
        self, previous: float | None, current: float, flagged: bool, below: bool, dropped: bool | None
    ) -> None:
        result = alliance_drop(get_builtin("srs"), current, previous)
        assert result is not None
        assert (result.evaluable, result.flagged, result.below, result.dropped) == (
            True,
            flagged,
            below,
            dropped,
        )
        assert result.reliable_drop is None

    def test_float_sums(self) -> None:
        srs = get_builtin("srs")
        before = score(srs, as_items([9.3, 9.2, 9.2, 9.2]))  # 36.9
        after = score(srs, as_items([9.0, 9.0, 9.0, 8.9]))  # 35.9
        flags = assess_change(srs, after, before)
        assert flags.alliance_drop is not None
        assert flags.alliance_drop.dropped is True
        assert flags.cutoffs[0].crossing is Crossing.INTO
        assert flags.reliable_change is None
        assert flags.clinical_significance is None

    def test_exactly_36_is_not_a_concern(self) -> None:
        srs = get_builtin("srs")
        flags = assess_change(srs, score(srs, as_items([9.1, 8.9, 9.0, 9.0])))
        assert flags.current == pytest.approx(36.0)
        assert flags.cutoffs[0].in_range is False


@pytest.mark.parametrize("code", ["wai-sr", "wai-sr-t", "haq-ii", "star-p", "star-c"])
def test_alliance_without_reliable_change_is_not_evaluable(code: str) -> None:
    result = alliance_drop(get_builtin(code), 1.0, 4.0)
    assert result is not None
    assert (result.evaluable, result.flagged, result.reliable_drop) == (False, False, None)


def test_k10_local_reliable_change_and_bands() -> None:
    flags = assess_change(get_builtin("k10"), 24, 30)
    assert flags.reliable_change is ReliableChangeClass.IMPROVEMENT
    assert flags.clinical_significance is None  # no clinical cut-off defined
    assert {b.name: (b.previous_band, b.band) for b in flags.bands} == {
        "abs": ("very_high", "high"),
        "crufad": ("severe", "mild"),
    }
    assert classify_reliable_change(get_builtin("k10"), 30, 25) is ReliableChangeClass.NONE


def test_no_reliable_change_defined() -> None:
    flags = assess_change(get_builtin("lsp-16"), 10, 30)
    assert flags.reliable_change is None
    assert flags.improvement == 20
    assert flags.cutoffs == ()
    assert flags.bands == ()
