"""Engine interface: a model design goes in, an engine-neutral fit comes out."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Design:
    """A linear mixed model in statsmodels' group-based vocabulary.

    Parameters
    ----------
    name : str
        Label of this model inside a template run (e.g. ``"forward"``).
    formula : str
        Fixed part, patsy syntax (``"y ~ time + A_pc"``).
    data : DataFrame
        Complete cases for every variable in the model.
    groups : str
        Column of independent clusters; ``None`` fits the data as one group (crossed designs).
    re_formula : str
        Correlated random coefficients within ``groups`` (``"1"``, ``"~time"``, ``"0 + a + b"``).
    vc_formula : mapping
        Independent variance components nested in ``groups`` (``{"pt": "0 + C(dyad_id)"}``).
    levels : tuple of str
        Grouping columns from the top level down (e.g. ``("cm_id", "dyad_id")``); used for the
        between-within degrees of freedom and the sample description.
    """

    name: str
    formula: str
    data: pd.DataFrame
    groups: str | None
    re_formula: str | None = "1"
    vc_formula: Mapping[str, str] = field(default_factory=dict)
    levels: tuple[str, ...] = ()


@dataclass(frozen=True)
class CapturedWarning:
    """A warning raised inside an engine, kept as data instead of escaping to the caller."""

    category: str
    message: str
    count: int = 1


@dataclass(frozen=True)
class EngineFit:
    """Engine-neutral estimates of one fitted design.

    ``fe_vcov`` is the lme4 quantity σ²(X'V⁻¹X)⁻¹. ``cov_re`` holds the covariance of the random
    coefficients in ``groups`` (labelled by ``re_names``), ``vcomp`` the independent variance
    components by name.
    """

    design: Design
    reml: bool
    fe_names: tuple[str, ...]
    fe_params: np.ndarray
    fe_vcov: np.ndarray
    re_names: tuple[str, ...]
    cov_re: np.ndarray
    vcomp: dict[str, float]
    scale: float
    llf: float
    n_obs: int
    n_groups: int
    n_cov_params: int
    converged: bool
    optimizer: str
    n_iter: int | None  # likelihood evaluations by the gradient optimisers (polish steps not counted)
    max_grad: float | None
    hessian_pd: bool
    warnings: tuple[CapturedWarning, ...]
    start: Any = None  # engine-specific warm-start token
    exog: np.ndarray | None = None
    # Satterthwaite df for each row of a (q, k_fe) contrast matrix; None if the engine cannot compute them
    satterthwaite: Callable[[np.ndarray], np.ndarray] | None = None

    @property
    def n_params(self) -> int:
        """Parameters counted for AIC/BIC as lme4 does: fixed + covariance + residual variance."""
        return len(self.fe_names) + self.n_cov_params + 1


class Engine(Protocol):
    """Estimation backend."""

    name: str

    def fit(self, design: Design, reml: bool, start: Any = None) -> EngineFit:
        """Fit ``design`` by REML (``reml=True``) or ML, optionally warm-started from ``start``."""
        ...

    def version(self) -> str:
        """Version string of the backing library."""
        ...

    def bootstrap_variances(self, fit: EngineFit, n_boot: int, seed: int) -> tuple[np.ndarray, int]:
        """Parametric-bootstrap draws of (random-coefficient variances, their correlations, variance
        components, residual variance) and the number of non-converged replicates."""
        ...
