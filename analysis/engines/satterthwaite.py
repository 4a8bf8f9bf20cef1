"""Satterthwaite denominator degrees of freedom for linear contrasts of fixed effects (lmerTest's method).

For a contrast L'β with variance v(ψ) = L'Var(β̂; ψ)L, df = 2 v² / (∇v' A ∇v), where ψ are the covariance
parameters and A their asymptotic covariance (inverse of the negative Hessian of the (RE)ML log-likelihood).
Here ψ = (square-root relative covariance parameters, σ²); the result does not depend on the
parameterisation. Derivatives are central finite differences, as lmerTest takes them with numDeriv.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from statsmodels.regression.mixed_linear_model import MixedLM, MixedLMParams

STEP = 1e-4  # relative finite-difference step
FeVcov = Callable[[MixedLM, MixedLMParams, float], np.ndarray]


def _params(model: MixedLM, x: np.ndarray) -> MixedLMParams:
    return MixedLMParams.from_packed(x, model.k_fe, model.k_re, use_sqrt=True, has_fe=False)


def _loglik(model: MixedLM, psi: np.ndarray) -> float:
    """Unprofiled (RE)ML log-likelihood at ψ = (x, σ²), built from statsmodels' profiled one.

    ll(x, s) = ll_prof(x) − m/2 · [log(s/σ̂²(x)) + σ̂²(x)/s − 1], m = n − p (REML) or n (ML).
    """
    x, s = psi[:-1], psi[-1]
    p = _params(model, x)
    fe, _ = model.get_fe_params(p.cov_re, p.vcomp)
    sigma2 = model.get_scale(fe, p.cov_re, p.vcomp)
    m = model.n_totobs - (model.k_fe if model.reml else 0)
    return float(model.loglike(x, profile_fe=True) - 0.5 * m * (np.log(s / sigma2) + sigma2 / s - 1.0))


def _vcov(
    model: MixedLM, psi: np.ndarray, fe_vcov: Callable[[MixedLM, MixedLMParams, float], np.ndarray]
) -> np.ndarray:
    return fe_vcov(model, _params(model, psi[:-1]), float(psi[-1]))


def _steps(psi: np.ndarray) -> np.ndarray:
    return STEP * np.maximum(np.abs(psi), 0.1)


def _hessian(model: MixedLM, psi: np.ndarray) -> np.ndarray:
    k, h = len(psi), _steps(psi)
    out = np.empty((k, k))
    for i in range(k):
        for j in range(i, k):
            ei, ej = np.eye(k)[i] * h[i], np.eye(k)[j] * h[j]
            value = (
                _loglik(model, psi + ei + ej)
                - _loglik(model, psi + ei - ej)
                - _loglik(model, psi - ei + ej)
                + _loglik(model, psi - ei - ej)
            ) / (4 * h[i] * h[j])
            out[i, j] = out[j, i] = value
    return out


class Satterthwaite:
    """Satterthwaite df at the estimates ``(x, scale)``; the Hessian and gradients are computed once.

    ``model.reml`` must be set as in the fit. Parameters at the boundary make the Hessian singular; its
    pseudo-inverse is used, as lmerTest drops such directions.
    """

    def __init__(self, model: MixedLM, x: np.ndarray, scale: float, fe_vcov: FeVcov) -> None:
        psi = np.append(np.asarray(x, dtype=float), scale)
        self._a = np.linalg.pinv(-_hessian(model, psi))
        h = _steps(psi)
        self._grads = []
        for i in range(len(psi)):
            e = np.eye(len(psi))[i] * h[i]
            self._grads.append((_vcov(model, psi + e, fe_vcov) - _vcov(model, psi - e, fe_vcov)) / (2 * h[i]))
        self._v = _vcov(model, psi, fe_vcov)

    def __call__(self, contrasts: np.ndarray) -> np.ndarray:
        """df for each row of ``contrasts`` (shape ``(q, k_fe)``); ``inf`` when the variance does not vary."""
        out = []
        for row in np.atleast_2d(contrasts):
            var = float(row @ self._v @ row)
            g = np.array([row @ d @ row for d in self._grads])
            denom = float(g @ self._a @ g)
            out.append(2 * var**2 / denom if denom > 0 else np.inf)
        return np.array(out)
