"""statsmodels MixedLM engine with lme4-style fixed-effect standard errors and captured warnings."""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Callable
from typing import Any

import numpy as np
import statsmodels
import statsmodels.formula.api as smf
from scipy.optimize import Bounds, minimize
from statsmodels.regression.mixed_linear_model import MixedLM, MixedLMParams, _smw_solver

from analysis.engines.base import CapturedWarning, Design, EngineFit
from analysis.engines.bootstrap import bootstrap
from analysis.engines.satterthwaite import Satterthwaite
from analysis.errors import EngineError

# statsmodels' default first method. Never lbfgs first: it reaches wrong optima while reporting convergence
# (performance.md). Fallbacks run only while the gradient is too large.
DEFAULT_METHODS = ("bfgs", "lbfgs", "cg")
ALL_GROUP = "_all_"
GRAD_TOL = 1e-6  # max |score| per observation: the convergence test
POWELL_MAXFEV = 1000
NEWTON_MAXITER = 20
NEWTON_TOL = 1e-6  # largest Newton step on the square-root scale counted as converged
LOWER_SD = 1e-4  # bound on the Cholesky diagonal: statsmodels treats variances < 1e-10 (x²) as singular


class StatsmodelsEngine:
    """Fits a :class:`Design` with ``statsmodels.MixedLM``."""

    name = "statsmodels"

    def version(self) -> str:
        """statsmodels version."""
        return str(statsmodels.__version__)

    def fit(self, design: Design, reml: bool, start: Any = None) -> EngineFit:
        """Fit by REML or ML; fall back to Powell if the gradient methods do not converge."""
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model = self._build(design)
            result, optimizer, evals = self._optimise(model, reml, start)
            fe_vcov = _fe_vcov(model, result.params_object, float(result.scale))
            max_grad = _max_grad(model, result.params_object)
            hessian_pd = _hessian_pd(result)
        counts = Counter((w.category.__name__, str(w.message)) for w in caught)
        captured = tuple(CapturedWarning(cat, msg, n) for (cat, msg), n in counts.items())
        hessian_pd = hessian_pd and not any("not positive definite" in w.message for w in captured)
        group_col = design.groups or ALL_GROUP
        cov_re = np.asarray(result.cov_re, dtype=float).reshape(model.k_re, model.k_re)
        return EngineFit(
            design=design,
            reml=reml,
            fe_names=tuple(model.exog_names[: model.k_fe]),
            fe_params=np.asarray(result.fe_params, dtype=float),
            fe_vcov=fe_vcov,
            re_names=tuple("Intercept" if n == group_col else str(n) for n in result.cov_re.index)
            if model.k_re
            else (),
            cov_re=cov_re,
            vcomp={n: float(v) for n, v in zip(model.exog_vc.names, np.atleast_1d(result.vcomp), strict=True)}
            if model.k_vc
            else {},
            scale=float(result.scale),
            llf=float(result.llf),
            n_obs=int(model.n_totobs),
            n_groups=int(model.n_groups),
            n_cov_params=int(model.k_re2 + model.k_vc),
            converged=bool(result.converged),
            optimizer=optimizer,
            n_iter=evals,
            max_grad=max_grad,
            hessian_pd=hessian_pd,
            warnings=captured,
            start=result.params_object.get_packed(use_sqrt=model.use_sqrt, has_fe=False),
            exog=model.exog,
            satterthwaite=_satterthwaite_fn(model, reml, result),
        )

    def bootstrap_variances(self, fit: EngineFit, n_boot: int, seed: int) -> tuple[np.ndarray, int]:
        """Parametric-bootstrap draws of the variance parameters, in :func:`variance_vector` order.

        Returns the draws (``n_boot`` rows) and the number of replicates that did not converge.
        """
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = self._build(fit.design)
        return bootstrap(model, fit, n_boot, seed, self._optimise)

    @staticmethod
    @staticmethod
    def _build(design: Design) -> MixedLM:
        data = design.data
        groups = design.groups
        if groups is None:
            data = data.assign(**{ALL_GROUP: 0})
            groups = ALL_GROUP
        re_formula = design.re_formula
        if re_formula is not None and not re_formula.lstrip().startswith("~"):
            re_formula = "~" + re_formula
        try:
            return smf.mixedlm(
                design.formula,
                data,
                groups=groups,
                re_formula=re_formula,
                vc_formula=dict(design.vc_formula) or None,
            )
        except Exception as exc:  # patsy raises many unrelated types
            raise EngineError(f"could not build model {design.name!r}: {exc}") from exc

    @staticmethod
    def _optimise(model: MixedLM, reml: bool, start: Any) -> tuple[Any, str, int]:
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
            candidate, _ = _bounded_search(model, x, "Powell")
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
    return np.asarray(start) if start is not None else np.ones(model.k_re2 + model.k_vc)


def _profile_llf(model: MixedLM, x: np.ndarray) -> float:
    try:
        value = float(model.loglike(x, profile_fe=True))
    except (np.linalg.LinAlgError, ValueError):
        return -np.inf
    return value if np.isfinite(value) else -np.inf  # statsmodels returns +inf at an exactly singular cov_re


def _bounded_search(model: MixedLM, x0: np.ndarray, method: str) -> tuple[np.ndarray, bool]:
    """Minimise −loglik/n from ``x0`` with the diagonal bounded below; returns (end point, success)."""
    n = model.n_totobs
    lower = np.full(len(x0), -np.inf)
    lower[_diagonal(model)] = LOWER_SD
    bounds = Bounds(lower, np.full(len(x0), np.inf))

    def objective(x: np.ndarray) -> float:
        value = _profile_llf(model, x)
        return -value / n if np.isfinite(value) else 1e10

    options = {"xtol": 1e-8, "ftol": 1e-15, "maxfev": POWELL_MAXFEV}
    try:
        res = minimize(objective, np.maximum(x0, lower), method=method, bounds=bounds, options=options)
    except (np.linalg.LinAlgError, ValueError):
        return x0, False
    return np.asarray(res.x), bool(res.success)


def _fe_vcov(model: MixedLM, params: MixedLMParams, scale: float) -> np.ndarray:
    """σ²(X'V⁻¹X)⁻¹ with V at the estimates: inverts only the fixed-effect block, as lme4 reports."""
    cov_re = params.cov_re
    cov_re_inv = np.linalg.pinv(cov_re) if model.k_re else np.empty((0, 0))
    xtvix = np.zeros((model.k_fe, model.k_fe))
    for ix in range(model.n_groups):
        vc_var = model._expand_vcomp(params.vcomp, ix)
        vc_vari = np.where(vc_var >= 1e-10, 1.0 / np.maximum(vc_var, 1e-300), 0.0)
        solver = _smw_solver(1.0, model._aex_r[ix], model._aex_r2[ix], cov_re_inv, vc_vari)
        exog = model.exog_li[ix]
        xtvix += exog.T @ solver(exog)
    return np.asarray(scale * np.linalg.pinv(xtvix))


def _max_grad(model: MixedLM, params: MixedLMParams) -> float | None:
    """Largest absolute score of the profiled log-likelihood in the optimiser's parameterisation."""
    packed = params.get_packed(use_sqrt=model.use_sqrt, has_fe=False)
    if packed.size == 0:
        return None
    return float(np.max(np.abs(model.score(packed))))


def _hessian_pd(result: Any) -> bool:
    cov = np.asarray(result.cov_params(), dtype=float)
    finite = np.all(np.isfinite(cov))
    return bool(finite and np.all(np.linalg.eigvalsh((cov + cov.T) / 2) > 0))


def _satterthwaite_fn(model: MixedLM, reml: bool, result: Any) -> Callable[[np.ndarray], np.ndarray]:
    """Lazy Satterthwaite df: nothing is computed unless a caller asks for Satterthwaite df."""
    x = result.params_object.get_packed(use_sqrt=True, has_fe=False)
    scale = float(result.scale)
    cache: list[Satterthwaite] = []

    def df(contrasts: np.ndarray) -> np.ndarray:
        if not cache:
            model.reml = reml
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                cache.append(Satterthwaite(model, x, scale, _fe_vcov))
        return cache[0](contrasts)

    return df


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
