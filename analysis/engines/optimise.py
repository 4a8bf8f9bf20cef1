"""Optimisation of statsmodels' profiled (RE)ML criterion, checked and polished like lme4's.

statsmodels' default method sequence runs first (BFGS, then L-BFGS and CG only if needed; never L-BFGS first,
which reaches wrong optima while reporting convergence — performance.md). Convergence is then judged by a
Newton step on the few covariance parameters, and a bounded Powell search is the last resort.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from scipy.optimize import Bounds, minimize
from statsmodels.regression.mixed_linear_model import MixedLM

from analysis.errors import EngineError

DEFAULT_METHODS = ("bfgs", "lbfgs", "cg")
GRAD_TOL = 1e-6  # max |score| per observation: the flat-direction convergence test
POWELL_MAXFEV = 1000
NEWTON_MAXITER = 20
NEWTON_TOL = 1e-6  # largest Newton step on the square-root scale counted as converged
LOWER_SD = 1e-4  # bound on the Cholesky diagonal: statsmodels treats variances < 1e-10 (x²) as singular


def optimise(model: MixedLM, reml: bool, start: Any) -> tuple[Any, str, int]:
    """statsmodels' default method sequence (BFGS first), a Newton polish, then Powell only if that fails.

    Convergence is judged by the Newton step of the profiled criterion (as lme4 scales its gradient by the
    Hessian), not by the optimiser's flag: on flat surfaces (a near-singular random slope) BFGS reports
    success early (log-likelihood 0.02 short of lme4's optimum in our fixtures) and it reports failure
    ("precision loss") at true optima. The Newton polish uses the analytic score and a finite-difference
    Hessian of the few covariance parameters; Powell (the role bobyqa plays in lme4) is the last resort.
    The Cholesky diagonal is bounded at ~0 as lme4 bounds theta.
    """
    model.reml = reml
    result, end = _attempt(model, reml, DEFAULT_METHODS[0], start)
    used, evals = [DEFAULT_METHODS[0]], _evaluations(result)
    at_result = _canonical(model, end if end is not None else _default_start(model, start))
    x, step = _newton(model, at_result)
    if step > NEWTON_TOL:  # statsmodels' remaining default methods, each from the previous end point
        packed = end if end is not None else start
        for method in DEFAULT_METHODS[1:]:
            attempt, end = _attempt(model, reml, method, packed)
            used.append(method)
            evals += _evaluations(attempt)
            if attempt is not None and (result is None or attempt.llf > result.llf):
                result, at_result = attempt, _canonical(model, end)
                x = at_result
            packed = end if end is not None else packed
            if attempt is not None and attempt.converged:
                break
        model.reml = reml
        x, step = _newton(model, x)
    if step > NEWTON_TOL:
        candidate, _ = _powell(model, x)
        if _profile_llf(model, candidate) >= _profile_llf(model, x) - 1e-9:
            x, step = _newton(model, candidate)
            used.append("powell")
    if result is not None and step == 0.0 and np.array_equal(x, at_result):
        result.converged = True
        return result, "+".join(used), evals
    used.append("newton")
    final = _evaluate_at(model, reml, x)
    if final is None:
        raise EngineError("MixedLM fit failed with every optimiser (singular covariance)")
    final.converged = step <= NEWTON_TOL or _scaled_grad(model, x) <= GRAD_TOL
    return final, "+".join(used), evals


def _newton(model: MixedLM, x: np.ndarray) -> tuple[np.ndarray, float]:
    """Damped Newton iterations on the profiled log-likelihood; returns (point, size of the last full step).

    The last step is 0.0 when the starting point already satisfies the tolerance. A non-negative-definite
    Hessian (a flat or wrong-way direction) returns ``inf`` so the caller falls back to Powell.
    """
    lower = np.full(len(x), -np.inf)
    lower[_diagonal(model)] = LOWER_SD
    llf = _profile_llf(model, x)
    for iteration in range(NEWTON_MAXITER):
        g, h = _score_and_hessian(model, x)
        free = ~((x <= lower * (1 + 1e-6)) & (g <= 0))  # parameters held at the bound by the gradient
        if not free.any():
            return x, 0.0
        hf = h[np.ix_(free, free)]
        if not np.all(np.isfinite(hf)) or np.max(np.linalg.eigvalsh((hf + hf.T) / 2)) >= 0:
            return x, np.inf
        delta = np.zeros_like(x)
        delta[free] = -np.linalg.solve(hf, g[free])
        size = float(np.max(np.abs(delta)))
        if size <= NEWTON_TOL:
            return (x, 0.0) if iteration == 0 else (x, size)
        t = 1.0
        while t > 1e-4:
            trial = np.maximum(x + t * delta, lower)
            trial_llf = _profile_llf(model, trial)
            if trial_llf >= llf - 1e-12:
                x, llf = trial, trial_llf
                break
            t /= 2
        else:
            return x, size
    return x, size


def _score_and_hessian(model: MixedLM, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Analytic score and a symmetrised forward-difference Hessian of the profiled log-likelihood."""
    g = np.asarray(model.score(x, profile_fe=True), dtype=float)
    h = np.empty((len(x), len(x)))
    for j in range(len(x)):
        step = 1e-6 * max(1.0, abs(x[j]))
        xj = x.copy()
        xj[j] += step
        h[:, j] = (np.asarray(model.score(xj, profile_fe=True), dtype=float) - g) / step
    return g, (h + h.T) / 2


def _attempt(model: MixedLM, reml: bool, method: str, start: Any) -> tuple[Any, Any]:
    """One ``MixedLM.fit`` with a single method; returns (result or None, packed end point or None)."""
    try:
        result = model.fit(reml=reml, method=[method], full_output=True, start_params=start)
    except (np.linalg.LinAlgError, ValueError):
        return None, None
    return result, result.params_object.get_packed(use_sqrt=model.use_sqrt, has_fe=False)


def _evaluate_at(model: MixedLM, reml: bool, x: np.ndarray) -> Any:
    """Results object at ``x`` without moving (statsmodels has no public way; ``maxiter=0`` does it)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the zero-iteration run "fails to converge" by construction
        try:
            return model.fit(reml=reml, method=["bfgs"], full_output=True, start_params=x, maxiter=0)
        except (np.linalg.LinAlgError, ValueError):
            return None


def _diagonal(model: MixedLM) -> list[int]:
    """Positions of the Cholesky diagonal and the variance-component SDs in the packed square-root vector."""
    return [i * (i + 3) // 2 for i in range(model.k_re)] + [model.k_re2 + j for j in range(model.k_vc)]


def _canonical(model: MixedLM, x: np.ndarray) -> np.ndarray:
    """Same covariance, non-negative Cholesky diagonal (flip the sign of columns with a negative diagonal)."""
    out = np.array(x, dtype=float)
    for j in range(model.k_re):
        if out[j * (j + 3) // 2] < 0:
            for i in range(j, model.k_re):
                out[i * (i + 1) // 2 + j] *= -1
    out[model.k_re2 :] = np.abs(out[model.k_re2 :])
    return out


def _default_start(model: MixedLM, start: Any) -> np.ndarray:
    """The caller's start, else statsmodels' own (identity random-effects covariance, unit components)."""
    if start is not None:
        return np.asarray(start, dtype=float)
    x = np.zeros(model.k_re2 + model.k_vc)
    x[_diagonal(model)] = 1.0
    return x


def _profile_llf(model: MixedLM, x: np.ndarray) -> float:
    try:
        value = float(model.loglike(x, profile_fe=True))
    except (np.linalg.LinAlgError, ValueError):
        return -np.inf
    return value if np.isfinite(value) else -np.inf  # statsmodels returns +inf at an exactly singular cov_re


def _powell(model: MixedLM, x0: np.ndarray) -> tuple[np.ndarray, bool]:
    """Bounded Powell search of −loglik/n from ``x0``; returns (end point, success)."""
    n = model.n_totobs
    lower = np.full(len(x0), -np.inf)
    lower[_diagonal(model)] = LOWER_SD
    bounds = Bounds(lower, np.full(len(x0), np.inf))

    def objective(x: np.ndarray) -> float:
        value = _profile_llf(model, x)
        return -value / n if np.isfinite(value) else 1e10

    options = {"xtol": 1e-8, "ftol": 1e-15, "maxfev": POWELL_MAXFEV}
    try:
        res = minimize(objective, np.maximum(x0, lower), method="Powell", bounds=bounds, options=options)
    except (np.linalg.LinAlgError, ValueError):
        return x0, False
    return np.asarray(res.x), bool(res.success)


def _scaled_grad(model: MixedLM, x: np.ndarray) -> float:
    """max |score| / n: the flat-direction fallback test when the Newton step is not small."""
    try:
        return float(np.max(np.abs(model.score(x, profile_fe=True)))) / model.n_totobs
    except (np.linalg.LinAlgError, ValueError):
        return np.inf


def _evaluations(result: Any) -> int:
    """Function evaluations statsmodels' optimiser reported for one attempt (0 if unknown)."""
    if result is None or not result.hist:
        return 0
    value = result.hist[-1].get("fcalls", 0)
    return int(value) if isinstance(value, int | np.integer) else 0
