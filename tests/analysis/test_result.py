"""Results are frozen, JSON round-trip exactly, and carry provenance."""

from __future__ import annotations

import dataclasses
import json

import pandas as pd
import pytest

from analysis.fingerprint import frame_fingerprint
from analysis.fit import fit_model
from analysis.result import ModelResult
from analysis.spec import ModelSpec, Template


@pytest.fixture(scope="module")
def t2(small_study: tuple[pd.DataFrame, object]) -> ModelResult:
    return fit_model(small_study[0], ModelSpec(template=Template.T2, seed=7))


def test_json_round_trip(t2: ModelResult) -> None:
    text = t2.to_json()
    json.loads(text)  # strict JSON
    assert ModelResult.from_json(text) == t2
    assert ModelResult.from_dict(t2.to_dict()) == t2


def test_frozen(t2: ModelResult) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        t2.template = "T0"  # type: ignore[misc]


def test_provenance(t2: ModelResult, small_study: tuple[pd.DataFrame, object]) -> None:
    p = t2.provenance
    assert ModelSpec.from_dict(p.spec) == ModelSpec(template=Template.T2, seed=7)
    assert p.seed == 7
    assert len(p.data_sha256) == 64
    assert {"statsmodels", "numpy", "pandas", "python", "engine"} <= set(p.versions)


def test_fingerprint_canonical(small_frame: pd.DataFrame) -> None:
    base = frame_fingerprint(small_frame)
    shuffled = small_frame.sample(frac=1.0, random_state=1)[list(reversed(small_frame.columns))]
    assert frame_fingerprint(shuffled) == base
    changed = small_frame.copy()
    changed.loc[0, "y"] += 1e-9
    assert frame_fingerprint(changed) != base


def test_same_input_same_result(small_frame: pd.DataFrame, t2: ModelResult) -> None:
    again = fit_model(small_frame.sample(frac=1.0, random_state=2), ModelSpec(template=Template.T2, seed=7))
    assert again.provenance.data_sha256 == t2.provenance.data_sha256
    assert again.fixed_effects[1].estimate == pytest.approx(t2.fixed_effects[1].estimate, rel=1e-6)


def test_table(t2: ModelResult) -> None:
    text = t2.table()
    for term in ("Intercept", "A_pc", "A_pmc", "A_cmc", "contextual_dyad", "Caveat"):
        assert term in text
    assert str(t2) == text


def test_sample_description(t2: ModelResult, small_study: tuple[pd.DataFrame, object]) -> None:
    df = small_study[0]
    s = t2.sample
    assert (s.n_cms, s.n_patients, s.n_dyads, s.n_occasions) == (
        df["cm_id"].nunique(),
        df["patient_id"].nunique(),
        df["dyad_id"].nunique(),
        len(df),
    )
    assert s.n_patients_changed_cm == int((df.groupby("patient_id")["cm_id"].nunique() > 1).sum())
    assert s.occasions_per_dyad[0] <= s.occasions_per_dyad[1] <= s.occasions_per_dyad[2]


def test_spec_json_round_trip() -> None:
    spec = ModelSpec(template=Template.T4, lag=2, winsorize=0.05, covariates=("age",))
    assert ModelSpec.model_validate_json(spec.model_dump_json()) == spec
    assert ModelSpec.from_dict(json.loads(json.dumps(spec.to_dict()))) == spec
