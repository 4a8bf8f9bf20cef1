"""Parametric bootstrap of variance parameters for statsmodels MixedLM fits.

Simulates ``y* = Xβ̂ + Zb* + e*`` from the fitted model and refits on the same (already built) model object,
warm-started at the estimates, so each replicate costs one optimisation and no formula parsing.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from statsmodels.regression.mixed_linear_model import MixedLM

from analysis.engines.base import EngineFit


def simulate_endog(model: MixedLM, fit: EngineFit, rng: np.random.Generator) -> np.ndarray:
    """One draw of the response from the fitted model (singular covariances allowed)."""
    y = model.exog @ fit.fe_params
    if model.k_re:
        w, v = np.linalg.eigh(fit.cov_re)
        root = v * np.sqrt(np.clip(w, 0.0, None))
        u = rng.normal(size=(model.n_groups, model.k_re)) @ root.T
        for k, g in enumerate(model.group_labels):
            ii = model.row_indices[g]
            y[ii] += model.exog_re[ii] @ u[k]
    for j, name in enumerate(model.exog_vc.names):
        sd = np.sqrt(max(fit.vcomp[name], 0.0))
        for i, g in enumerate(model.group_labels):
            mat = model.exog_vc.mats[j][i]
            y[model.row_indices[g]] += sd * (mat @ rng.normal(size=mat.shape[1]))
    return np.asarray(y + np.sqrt(fit.scale) * rng.normal(size=len(y)))


def set_endog(model: MixedLM, y: np.ndarray) -> None:
    """Replace the response of a built model in place (and drop the cache statsmodels keeps of it)."""
    model.endog = y
    model.endog_li = model.group_list(y)
    if hasattr(model, "_endex_li"):
        del model._endex_li


def variance_vector(result: Any, k_re: int) -> np.ndarray:
    """Variances of the random coefficients, their correlations, the variance components and the residual."""
    cov = np.asarray(result.cov_re, dtype=float).reshape(k_re, k_re)
    sd = np.sqrt(np.clip(np.diag(cov), 1e-300, None))
    corr = [cov[i, j] / (sd[i] * sd[j]) for i in range(k_re) for j in range(i + 1, k_re)]
    return np.concatenate([np.diag(cov), corr, np.atleast_1d(result.vcomp), [result.scale]])


def bootstrap(
    model: MixedLM, fit: EngineFit, n_boot: int, seed: int, optimise: Any
) -> tuple[np.ndarray, int]:
    """``n_boot`` replicate variance vectors (rows) and the number of replicates that failed to converge."""
    rng = np.random.default_rng(seed)
    original = model.endog.copy()
    draws, failed = [], 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(n_boot):
            set_endog(model, simulate_endog(model, fit, rng))
            result, _, _ = optimise(model, fit.reml, fit.start)
            failed += int(not result.converged)
            draws.append(variance_vector(result, model.k_re))
    set_endog(model, original)
    return np.array(draws), failed
