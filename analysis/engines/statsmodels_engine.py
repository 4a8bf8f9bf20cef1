"""statsmodels MixedLM engine with lme4-style fixed-effect standard errors and captured warnings."""

from __future__ import annotations

import warnings
from collections import Counter
from typing import Any

import numpy as np
import statsmodels
import statsmodels.formula.api as smf
from scipy.optimize import minimize
from statsmodels.regression.mixed_linear_model import MixedLM, MixedLMParams, _smw_solver

from analysis.engines.base import CapturedWarning, Design, EngineFit
from analysis.errors import EngineError

# statsmodels' own default sequence; 'powell' (derivative-free) is the last resort. Never lbfgs first: it
# reaches wrong optima while reporting convergence (performance.md).
DEFAULT_METHODS = ("bfgs", "lbfgs", "cg")
FALLBACK_METHOD = "powell"
ALL_GROUP = "_all_"
# scipy's default gtol (1e-5) stops BFGS ~1e-4 (relative) short of lme4's optimum on the variance components.
GTOL = 1e-7
GRAD_TOL = 1e-6  # max |score| per observation above which a converged fit is polished
POWELL_MAXFEV = 4000


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
            result, optimizer = self._optimise(model, reml, start)
            fe_vcov = _fe_vcov(model, result.params_object, float(result.scale))
            max_grad = _max_grad(model, result.params_object)
            hessian_pd = _hessian_pd(result)
        counts = Counter((w.category.__name__, str(w.message)) for w in caught)
        captured = tuple(CapturedWarning(cat, msg, n) for (cat, msg), n in counts.items())
        hessian_pd = hessian_pd and not any("not positive definite" in w.message for w in captured)
        hist = result.hist[-1] if result.hist else {}
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
            n_iter=_as_int(hist.get("fcalls")),
            max_grad=max_grad,
            hessian_pd=hessian_pd,
            warnings=captured,
            start=result.params_object.get_packed(use_sqrt=model.use_sqrt, has_fe=False),
            exog=model.exog,
        )

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
    def _optimise(model: MixedLM, reml: bool, start: Any) -> tuple[Any, str]:
        """statsmodels' default gradient methods in order, then a Powell + BFGS polish when the
        gradient is large.

        statsmodels reports ``converged`` from the optimiser's own test; on flat surfaces (a near-singular
        random slope) BFGS stops early (log-likelihood 0.02 short of lme4's optimum in our
        fixtures). The polish
        runs only when max|score| / n exceeds :data:`GRAD_TOL`, and the best log-likelihood wins.
        """
        result, packed, used = None, start, []
        for method in DEFAULT_METHODS:
            result, end = _attempt(model, reml, method, packed)
            packed = end if end is not None else packed
            used.append(method)
            if result is not None and result.converged:
                break
        if result is None or not result.converged or _scaled_grad(model, result) > GRAD_TOL:
            polished = _polish(model, reml, packed if packed is not None else start)
            if polished is not None and (result is None or polished.llf >= result.llf - 1e-9):
                result = polished
                used.append(FALLBACK_METHOD)
        if result is None:
            raise EngineError("MixedLM fit failed with every optimiser (singular covariance)")
        return result, "+".join(dict.fromkeys(used))


def _polish(model: MixedLM, reml: bool, start: Any) -> Any:
    """Tight derivative-free Powell search of the profiled (RE)ML criterion, then statsmodels' BFGS to finish.

    This plays the role of lme4's bobyqa: robust where the gradient methods stall on a flat
    surface. The result
    counts as converged when Powell met its tolerances.
    """
    model.reml = reml
    x0 = start if start is not None else np.zeros(model.k_re2 + model.k_vc)
    try:
        search = minimize(
            lambda x: -model.loglike(x, profile_fe=True),
            x0,
            method="Powell",
            options={"xtol": 1e-8, "ftol": 1e-13, "maxfev": POWELL_MAXFEV},
        )
    except (np.linalg.LinAlgError, ValueError):
        return None
    result, _ = _attempt(model, reml, "bfgs", search.x)
    if result is not None and search.success:
        result.converged = True
    return result


def _attempt(model: MixedLM, reml: bool, method: str, start: Any) -> tuple[Any, Any]:
    """One ``MixedLM.fit`` with a single method; returns (result or None, packed end point for the
    next try)."""
    kwargs = {"gtol": GTOL} if method in ("bfgs", "cg") else {}
    try:
        result = model.fit(reml=reml, method=[method], full_output=True, start_params=start, **kwargs)
    except (np.linalg.LinAlgError, ValueError):
        return None, None
    return result, result.params_object.get_packed(use_sqrt=model.use_sqrt, has_fe=False)


def _scaled_grad(model: MixedLM, result: Any) -> float:
    grad = _max_grad(model, result.params_object)
    return 0.0 if grad is None else grad / model.n_totobs


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


def _as_int(value: Any) -> int | None:
    return int(value) if isinstance(value, int | np.integer) else None
