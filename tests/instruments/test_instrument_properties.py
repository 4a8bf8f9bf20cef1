"""Property tests over every built-in item-scored definition: ranges, missing-item rules, special codes."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.instruments.builtin import list_builtins
from app.instruments.definition import TOTAL, Aggregate, InstrumentDefinition, MissingMethod, ResponseType
from app.instruments.scoring import ItemValidationError, ProblemType, score

ITEM_SCORED = [d for d in list_builtins() if d.response.type is not ResponseType.SINGLE_SCORE]
WITH_SPECIAL_CODES = [d for d in ITEM_SCORED if d.special_codes]
ids = [d.code for d in ITEM_SCORED]


def response_value(definition: InstrumentDefinition) -> st.SearchStrategy[float]:
    spec = definition.response
    if spec.integral:
        return st.integers(int(spec.min), int(spec.max)).map(float)
    step = spec.step
    assert step is not None
    n_steps = round((spec.max - spec.min) / step)
    return st.integers(0, n_steps).map(lambda k: round(spec.min + k * step, 6))


def complete(definition: InstrumentDefinition) -> st.SearchStrategy[dict[str, float]]:
    return st.lists(response_value(definition), min_size=definition.n_items, max_size=definition.n_items).map(
        lambda values: {str(i): v for i, v in enumerate(values, start=1)}
    )


def allowed(definition: InstrumentDefinition, scale: str = TOTAL) -> int:
    return definition.missing[scale].allowed_missing(len(definition.scales[scale]))


@pytest.mark.parametrize("definition", ITEM_SCORED, ids=ids)
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_complete_responses_score_within_scale_bounds(
    definition: InstrumentDefinition, data: st.DataObject
) -> None:
    result = score(definition, data.draw(complete(definition)))
    assert result.valid
    for name, scale in result.scales.items():
        low, high = definition.scale_bounds(name)
        assert scale.value is not None
        assert low - 1e-9 <= scale.value <= high + 1e-9
        assert scale.n_valid == scale.n_items == len(definition.scales[name])
        assert not scale.prorated


@pytest.mark.parametrize("definition", ITEM_SCORED, ids=ids)
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_mirrored_responses_sum_to_the_range(definition: InstrumentDefinition, data: st.DataObject) -> None:
    """x and min+max-x score symmetrically about the scale's midpoint, reverse-keyed items included."""
    items = data.draw(complete(definition))
    spec = definition.response
    mirrored = {k: round(spec.min + spec.max - v, 6) for k, v in items.items()}
    low, high = definition.scale_bounds(TOTAL)
    assert score(definition, items).total + score(definition, mirrored).total == pytest.approx(low + high)


@pytest.mark.parametrize("definition", ITEM_SCORED, ids=ids)
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_removing_more_than_allowed_always_raises(
    definition: InstrumentDefinition, data: st.DataObject
) -> None:
    items = data.draw(complete(definition))
    total_items = definition.scales[TOTAL]
    k = data.draw(st.integers(allowed(definition) + 1, len(total_items)))
    removed = data.draw(st.permutations(total_items))[:k]
    with pytest.raises(ItemValidationError) as excinfo:
        score(definition, {key: v for key, v in items.items() if int(key) not in removed})
    assert [(p.pointer, p.type) for p in excinfo.value.problems] == [("/items", ProblemType.TOO_MANY_MISSING)]


@pytest.mark.parametrize("definition", ITEM_SCORED, ids=ids)
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_removing_up_to_allowed_scores_by_the_rule(
    definition: InstrumentDefinition, data: st.DataObject
) -> None:
    items = data.draw(complete(definition))
    total_items = definition.scales[TOTAL]
    k = data.draw(st.integers(0, allowed(definition)))
    removed = set(data.draw(st.permutations(total_items))[:k])
    kept = {key: v for key, v in items.items() if int(key) not in removed}
    result = score(definition, kept)
    total = result.scales[TOTAL]
    assert total.n_valid == len(total_items) - k
    spec = definition.response
    keyed = [spec.min + spec.max - v if int(i) in definition.reverse else v for i, v in kept.items()]
    mean = math.fsum(keyed) / len(keyed)
    rule = definition.missing[TOTAL]
    if definition.aggregate is Aggregate.MEAN:
        expected = mean
    elif rule.method is MissingMethod.PRORATE_MEAN:
        expected = mean * len(total_items)
    else:
        expected = math.fsum(keyed)
    assert result.total == pytest.approx(expected)
    assert total.prorated == (k > 0 and rule.method is MissingMethod.PRORATE_MEAN)
    assert result.missing_items == tuple(sorted(removed))


@pytest.mark.parametrize("definition", WITH_SPECIAL_CODES, ids=[d.code for d in WITH_SPECIAL_CODES])
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_special_codes_never_count_as_valid(definition: InstrumentDefinition, data: st.DataObject) -> None:
    items = data.draw(complete(definition))
    chosen = data.draw(st.sets(st.sampled_from(sorted(int(k) for k in items)), max_size=definition.n_items))
    codes = {str(i): float(data.draw(st.sampled_from(sorted(definition.special_codes)))) for i in chosen}
    coded = items | codes
    dropped = {k: v for k, v in items.items() if k not in codes}
    n_valid_total = len([i for i in definition.scales[TOTAL] if str(i) not in codes])
    if n_valid_total < len(definition.scales[TOTAL]) - allowed(definition):
        for response in (coded, dropped):
            with pytest.raises(ItemValidationError) as excinfo:
                score(definition, response)
            assert excinfo.value.problems[0].type is ProblemType.TOO_MANY_MISSING
        return
    by_code = score(definition, coded)
    assert by_code.scales == score(definition, dropped).scales
    assert set(by_code.special_items) == set(codes)
    for name, scale in by_code.scales.items():
        assert scale.n_valid == len([i for i in definition.scales[name] if str(i) not in codes])


@pytest.mark.parametrize("definition", ITEM_SCORED, ids=ids)
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_out_of_range_values_raise_at_their_pointer(
    definition: InstrumentDefinition, data: st.DataObject
) -> None:
    items = data.draw(complete(definition))
    spec = definition.response
    bad = data.draw(
        st.one_of(
            st.floats(max_value=spec.min, exclude_max=True, allow_nan=False, allow_infinity=False),
            st.floats(min_value=spec.max, exclude_min=True, allow_nan=False, allow_infinity=False),
        ).filter(lambda x: not (x.is_integer() and int(x) in definition.special_codes))
    )
    item = data.draw(st.sampled_from(sorted(items)))
    with pytest.raises(ItemValidationError) as excinfo:
        score(definition, items | {item: bad})
    assert [(p.pointer, p.type) for p in excinfo.value.problems] == [
        (f"/items/{item}", ProblemType.OUT_OF_RANGE)
    ]


@settings(max_examples=100, deadline=None)
@given(value=st.integers(1, 100))
def test_gaf_any_valid_score_is_its_own_total(value: int) -> None:
    gaf = next(d for d in list_builtins() if d.code == "gaf")
    assert score(gaf, None, score=value).total == value
