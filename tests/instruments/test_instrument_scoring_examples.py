"""Hand-computed scoring examples for every built-in definition."""

from collections.abc import Mapping, Sequence

import pytest

from app.instruments.builtin import get_builtin
from app.instruments.scoring import ItemValidationError, ProblemType, score


def as_items(values: Sequence[float | int]) -> dict[str, float | int]:
    return {str(i): v for i, v in enumerate(values, start=1)}


def without(items: Mapping[str, float | int], *numbers: int) -> dict[str, float | int]:
    return {k: v for k, v in items.items() if int(k) not in numbers}


def problem_types(excinfo: pytest.ExceptionInfo[ItemValidationError]) -> list[tuple[str, ProblemType]]:
    return [(p.pointer, p.type) for p in excinfo.value.problems]


WAI = as_items([5, 4, 3, 2, 1, 5, 4, 3, 2, 1, 5, 4])


class TestWaiSr:
    @pytest.mark.parametrize("code", ["wai-sr", "wai-sr-t"])
    def test_complete_item_means(self, code: str) -> None:
        result = score(get_builtin(code), WAI)
        assert result.scales["task"].value == pytest.approx(3.5)  # items 1,2,10,12: 5,4,1,4
        assert result.scales["bond"].value == pytest.approx(2.5)  # items 3,5,7,9: 3,1,4,2
        assert result.scales["goal"].value == pytest.approx(3.75)  # items 4,6,8,11: 2,5,3,5
        assert result.total == pytest.approx(39 / 12)
        assert result.scales["total"].prorated is False
        assert result.valid

    def test_one_missing_per_subscale_is_prorated(self) -> None:
        result = score(get_builtin("wai-sr"), without(WAI, 1))
        task = result.scales["task"]
        assert (task.value, task.n_valid, task.n_items, task.prorated) == (pytest.approx(3.0), 3, 4, True)
        assert result.total == pytest.approx(34 / 11)
        assert result.scales["total"].prorated
        assert result.missing_items == (1,)

    def test_two_missing_in_a_subscale_invalidates_it_but_not_the_total(self) -> None:
        result = score(get_builtin("wai-sr"), without(WAI, 1, 2))
        assert result.scales["task"].value is None
        assert result.scales["task"].valid is False
        assert result.scales["bond"].valid
        assert result.total == pytest.approx(3.0)
        assert result.valid is False

    def test_three_missing_raises(self) -> None:
        with pytest.raises(ItemValidationError) as excinfo:
            score(get_builtin("wai-sr"), without(WAI, 1, 3, 4))
        assert problem_types(excinfo) == [("/items", ProblemType.TOO_MANY_MISSING)]


class TestSrs:
    def test_sum_of_vas(self) -> None:
        result = score(get_builtin("srs"), as_items([9.1, 8.7, 9.5, 8.9]))
        assert result.total == pytest.approx(36.2)

    def test_step_and_range(self) -> None:
        with pytest.raises(ItemValidationError) as excinfo:
            score(get_builtin("srs"), as_items([8.95, 10.1, -0.1, 10]))
        assert problem_types(excinfo) == [
            ("/items/1", ProblemType.STEP),
            ("/items/2", ProblemType.OUT_OF_RANGE),
            ("/items/3", ProblemType.OUT_OF_RANGE),
        ]

    def test_no_proration(self) -> None:
        with pytest.raises(ItemValidationError) as excinfo:
            score(get_builtin("srs"), as_items([9.1, 8.7, 9.5]))
        assert problem_types(excinfo) == [("/items", ProblemType.TOO_MANY_MISSING)]


class TestHaqII:
    def test_reverse_keyed_items(self) -> None:
        result = score(get_builtin("haq-ii"), as_items([5] * 19))
        assert result.total == 14 * 5 + 5 * 2  # items 4, 8, 11, 16, 19 score 7 - 5
        low = as_items([5] * 19) | {"4": 1}
        assert score(get_builtin("haq-ii"), low).total == 14 * 5 + 4 * 2 + 6

    def test_proration_with_three_missing(self) -> None:
        result = score(get_builtin("haq-ii"), without(as_items([5] * 19), 1, 2, 3))
        assert result.total == pytest.approx(65 / 16 * 19)
        assert result.scales["total"].item_mean == pytest.approx(65 / 16)
        with pytest.raises(ItemValidationError):
            score(get_builtin("haq-ii"), without(as_items([5] * 19), 1, 2, 3, 4))


@pytest.mark.parametrize("code", ["star-p", "star-c"])
def test_star_total_only_and_provisional(code: str) -> None:
    definition = get_builtin(code)
    result = score(definition, as_items([4, 3, 2, 1, 0, 4, 3, 2, 1, 0, 4, 3]))
    assert result.total == 27
    assert list(result.scales) == ["total"]
    assert result.provisional
    assert definition.provisional
    assert definition.reverse == ()


HONOS = as_items([0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 0, 1])


class TestHonos:
    def test_subscales_and_total(self) -> None:
        result = score(get_builtin("honos"), HONOS)
        values = {name: s.value for name, s in result.scales.items()}
        assert values == {"behaviour": 3, "impairment": 7, "symptoms": 3, "social": 8, "total": 21}

    def test_not_known_is_missing_subscale_prorated_total_summed(self) -> None:
        result = score(get_builtin("honos"), HONOS | {"5": 9})
        assert result.scales["impairment"].value == pytest.approx(6.0)  # item 4 (3) x 2 items
        assert result.scales["impairment"].prorated
        total = result.scales["total"]
        assert (total.value, total.n_valid, total.prorated) == (17, 11, False)  # METeOR: sum of rated items
        assert result.special_items == {"5": "not_known"}

    def test_ten_valid_items_still_score(self) -> None:
        result = score(get_builtin("honos"), HONOS | {"4": 9, "5": 9})
        assert result.scales["impairment"].valid is False
        assert result.total == 14
        assert result.valid is False

    def test_fewer_than_ten_valid_raises(self) -> None:
        with pytest.raises(ItemValidationError) as excinfo:
            score(get_builtin("honos"), HONOS | {"1": 9, "4": 9, "5": 9})
        assert problem_types(excinfo) == [("/items", ProblemType.TOO_MANY_MISSING)]

    def test_lsp_code_7_is_not_a_honos_code(self) -> None:
        with pytest.raises(ItemValidationError) as excinfo:
            score(get_builtin("honos"), HONOS | {"3": 7})
        assert problem_types(excinfo) == [("/items/3", ProblemType.OUT_OF_RANGE)]


class TestK10:
    def test_sum(self) -> None:
        assert score(get_builtin("k10"), as_items([5] + [2] * 9)).total == 23

    def test_one_missing_prorated(self) -> None:
        result = score(get_builtin("k10"), without(as_items([5] + [2] * 9), 10))
        assert result.total == pytest.approx(21 / 9 * 10)
        assert result.scales["total"].prorated

    def test_two_missing_raise(self) -> None:
        with pytest.raises(ItemValidationError):
            score(get_builtin("k10"), without(as_items([5] + [2] * 9), 9, 10))

    def test_us_zero_based_values_are_out_of_range(self) -> None:
        with pytest.raises(ItemValidationError) as excinfo:
            score(get_builtin("k10"), as_items([0] + [2] * 9))
        assert problem_types(excinfo) == [("/items/1", ProblemType.OUT_OF_RANGE)]


class TestLsp16:
    def test_sum(self) -> None:
        assert score(get_builtin("lsp-16"), as_items([3, 2, 1, 0] * 4)).total == 24

    def test_special_codes_7_and_9_are_missing(self) -> None:
        result = score(get_builtin("lsp-16"), as_items([7, 9, 1, 0] + [3, 2, 1, 0] * 3))
        assert result.total == pytest.approx(19 / 14 * 16)
        assert result.special_items == {"1": "unable_to_rate", "2": "not_stated"}
        assert result.scales["total"].n_valid == 14

    def test_four_missing_raise(self) -> None:
        with pytest.raises(ItemValidationError):
            score(get_builtin("lsp-16"), as_items([7, 9, 7, 9] + [3, 2, 1, 0] * 3))

    def test_code_8_is_out_of_range(self) -> None:
        with pytest.raises(ItemValidationError) as excinfo:
            score(get_builtin("lsp-16"), as_items([8] + [0] * 15))
        assert problem_types(excinfo) == [("/items/1", ProblemType.OUT_OF_RANGE)]


def test_ors_sum() -> None:
    result = score(get_builtin("ors"), as_items([5.5, 6.1, 4.0, 7.2]))
    assert result.total == pytest.approx(22.8)


class TestGaf:
    def test_single_score(self) -> None:
        result = score(get_builtin("gaf"), None, score=55)
        assert result.total == 55
        assert result.scales["total"].n_items == 1

    @pytest.mark.parametrize(
        ("items", "value", "expected"),
        [
            ({"1": 55}, 55, [("/items", ProblemType.ITEMS_NOT_ALLOWED)]),
            (None, None, [("/score", ProblemType.SCORE_REQUIRED)]),
            (None, 55.5, [("/score", ProblemType.NOT_INTEGER)]),
            (None, 101, [("/score", ProblemType.OUT_OF_RANGE)]),
            (None, 0, [("/score", ProblemType.TOO_MANY_MISSING)]),
        ],
    )
    def test_problems(
        self, items: dict[str, int] | None, value: float | None, expected: list[object]
    ) -> None:
        with pytest.raises(ItemValidationError) as excinfo:
            score(get_builtin("gaf"), items, score=value)
        assert problem_types(excinfo) == expected


class TestItemProblems:
    def test_every_problem_is_reported_with_a_pointer(self) -> None:
        items: dict[str, object] = dict(WAI) | {
            "13": 3,
            "0": 1,
            "01": 2,
            "a/b": 1,
            "2": 2.5,
            "3": True,
            "4": "3",
        }
        with pytest.raises(ItemValidationError) as excinfo:
            score(get_builtin("wai-sr"), items, score=3)  # type: ignore[arg-type]
        assert sorted(problem_types(excinfo)) == sorted(
            [
                ("/score", ProblemType.SCORE_NOT_ALLOWED),
                ("/items/13", ProblemType.UNKNOWN_ITEM),
                ("/items/0", ProblemType.UNKNOWN_ITEM),
                ("/items/01", ProblemType.UNKNOWN_ITEM),
                ("/items/a~1b", ProblemType.UNKNOWN_ITEM),
                ("/items/2", ProblemType.NOT_INTEGER),
                ("/items/3", ProblemType.NOT_A_NUMBER),
                ("/items/4", ProblemType.NOT_A_NUMBER),
            ]
        )
        assert "13" in str(excinfo.value)

    def test_integral_floats_and_none_are_accepted(self) -> None:
        items: dict[str, int | float | None] = {**WAI, "1": 5.0, "2": None}
        result = score(get_builtin("wai-sr"), items)
        assert result.missing_items == (2,)

    def test_nan_is_rejected(self) -> None:
        with pytest.raises(ItemValidationError) as excinfo:
            score(get_builtin("ors"), as_items([float("nan"), 1, 1, 1]))
        assert problem_types(excinfo) == [("/items/1", ProblemType.NOT_A_NUMBER)]

    def test_no_items_at_all(self) -> None:
        with pytest.raises(ItemValidationError) as excinfo:
            score(get_builtin("k10"), None)
        assert problem_types(excinfo) == [("/items", ProblemType.TOO_MANY_MISSING)]

    def test_result_is_frozen(self) -> None:
        result = score(get_builtin("k10"), as_items([1] * 10))
        with pytest.raises(ValueError, match="frozen"):
            result.total = 3  # type: ignore[misc]
