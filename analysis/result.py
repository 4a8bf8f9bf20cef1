"""Frozen, JSON-serialisable results of a template run."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from analysis.serialize import from_jsonable, to_jsonable


@dataclass(frozen=True)
class FixedEffect:
    """One fixed-effect coefficient with lme4-style SE and its test (``stat_name`` is ``"t"`` or ``"z"``)."""

    term: str
    estimate: float
    se: float
    df: float | None
    df_method: str
    stat_name: str
    stat: float
    p: float
    ci_low: float
    ci_high: float
    r_equivalent: float | None  # t / sqrt(t² + df), comparable with meta-analytic r


@dataclass(frozen=True)
class Estimand:
    """A template-specific quantity (contrast, RSA coefficient, prediction interval ...)."""

    name: str
    estimate: float
    description: str
    se: float | None = None
    stat: float | None = None
    df: float | None = None
    p: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None


@dataclass(frozen=True)
class VarianceComponent:
    """A random-effect variance (with SD), covariance or correlation at one grouping level."""

    group: str
    term: str
    kind: str  # "variance" | "correlation"
    estimate: float
    sd: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    ci_method: str | None = None


@dataclass(frozen=True)
class CapturedWarningRecord:
    """A warning raised during estimation, kept as data (``count`` repeats collapsed)."""

    category: str
    message: str
    count: int = 1


@dataclass(frozen=True)
class Diagnostics:
    """Convergence and boundary diagnostics of one fit."""

    converged: bool
    optimizer: str
    n_iter: int | None
    max_grad: float | None
    boundary: bool
    singular: bool
    hessian_pd: bool
    warnings: tuple[CapturedWarningRecord, ...]


@dataclass(frozen=True)
class FitIndices:
    """Likelihood-based fit indices; AIC/BIC always come from an ML fit (refitted when the spec is REML)."""

    method: str  # "REML" | "ML"
    n_obs: int
    n_groups: int
    n_params: int
    loglik: float
    reml_criterion: float | None
    loglik_ml: float | None
    aic_ml: float | None
    bic_ml: float | None
    note: str | None = None  # why a value is missing


@dataclass(frozen=True)
class FittedModel:
    """One fitted mixed model inside a template run."""

    name: str
    formula: str
    random_part: str
    fixed_effects: tuple[FixedEffect, ...]
    variance_components: tuple[VarianceComponent, ...]
    fit: FitIndices
    diagnostics: Diagnostics

    def coef(self, term: str) -> FixedEffect:
        """Fixed effect called ``term``."""
        for fe in self.fixed_effects:
            if fe.term == term:
                return fe
        raise KeyError(term)

    def variance(self, group: str, term: str) -> VarianceComponent:
        """Variance component of ``term`` at ``group``."""
        for vc in self.variance_components:
            if vc.group == group and vc.term == term and vc.kind == "variance":
                return vc
        raise KeyError((group, term))


@dataclass(frozen=True)
class SampleDescription:
    """Who and what went into the analysis."""

    n_sites: int | None
    n_cms: int
    n_patients: int
    n_dyads: int
    n_occasions: int
    occasions_per_dyad: tuple[float, float, float]  # min, median, max
    dyads_per_cm: tuple[float, float, float]
    n_patients_changed_cm: int


@dataclass(frozen=True)
class Provenance:
    """Everything needed to reproduce the result."""

    spec: dict[str, Any]
    data_sha256: str
    versions: dict[str, str]
    seed: int


@dataclass(frozen=True)
class ModelResult:
    """Result of one template run: the primary model is ``models[0]``."""

    template: str
    models: tuple[FittedModel, ...]
    estimands: tuple[Estimand, ...]
    icc: dict[str, float]
    caveats: tuple[str, ...]
    sample: SampleDescription
    provenance: Provenance

    @property
    def primary(self) -> FittedModel:
        """The template's main model."""
        return self.models[0]

    @property
    def fixed_effects(self) -> tuple[FixedEffect, ...]:
        """Fixed effects of the primary model."""
        return self.primary.fixed_effects

    @property
    def diagnostics(self) -> Diagnostics:
        """Diagnostics of the primary model."""
        return self.primary.diagnostics

    def model(self, name: str) -> FittedModel:
        """Fitted model called ``name``."""
        for m in self.models:
            if m.name == name:
                return m
        raise KeyError(name)

    def estimand(self, name: str) -> Estimand:
        """Template estimand called ``name``."""
        for e in self.estimands:
            if e.name == name:
                return e
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-compatible dict."""
        return dict(to_jsonable(self))

    def to_json(self, **kwargs: Any) -> str:
        """Strict JSON (no NaN)."""
        return json.dumps(self.to_dict(), allow_nan=False, **kwargs)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelResult:
        """Inverse of :meth:`to_dict`."""
        return from_jsonable(cls, data)

    @classmethod
    def from_json(cls, text: str) -> ModelResult:
        """Inverse of :meth:`to_json`."""
        return cls.from_dict(json.loads(text))

    def table(self) -> str:
        """Readable fixed-effects table of every model, followed by estimands and caveats."""
        from analysis.report import render

        return render(self)

    def __str__(self) -> str:
        return self.table()
