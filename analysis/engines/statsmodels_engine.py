"""statsmodels MixedLM engine with lme4-style fixed-effect standard errors and captured warnings."""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import statsmodels
import statsmodels.formula.api as smf
from statsmodels.regression.mixed_linear_model import MixedLM, MixedLMParams, _smw_solver

from analysis.engines.base import CapturedWarning, Design, EngineFit
from analysis.engines.bootstrap import bootstrap
from analysis.engines.optimise import optimise
from analysis.engines.satterthwaite import Satterthwaite
from analysis.engines.vc_design import fast_vc_spec
from analysis.errors import EngineError

ALL_GROUP = "_all_"


class StatsmodelsEngine:
    """Fits a :class:`Design` with ``statsmodels.MixedLM``."""

    name = "statsmodels"

    def version(self) -> str:
        """statsmodels version."""
        return str(statsmodels.__version__)

    def fit(self, design: Design, reml: bool, start: Any = None) -> EngineFit:
        """Fit by REML or ML (optionally warm-started); statsmodels warnings are captured, never re-raised."""
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model = self._build(design)
            result, optimizer, evals = optimise(model, reml, start)
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
        return bootstrap(model, fit, n_boot, seed, optimise)

    @staticmethod
    def _build(design: Design) -> MixedLM:
        """statsmodels model for ``design``; nested variance components skip patsy where possible."""
        data = design.data
        groups = design.groups
        if groups is None:
            data = data.assign(**{ALL_GROUP: 0})
            groups = ALL_GROUP
        re_formula = design.re_formula
        if re_formula is not None and not re_formula.lstrip().startswith("~"):
            re_formula = "~" + re_formula
        try:
            vc = fast_vc_spec(data, groups, design.vc_formula) if design.vc_formula else None
            if vc is None:
                return smf.mixedlm(
                    design.formula,
                    data,
                    groups=groups,
                    re_formula=re_formula,
                    vc_formula=dict(design.vc_formula) or None,
                )
            base = smf.mixedlm(design.formula, data, groups=groups, re_formula=re_formula or "~1")
            exog = pd.DataFrame(base.exog, columns=base.exog_names)
            exog_re = None
            if re_formula is not None:
                exog_re = pd.DataFrame(base.exog_re, columns=base.data.exog_re_names)
            return MixedLM(
                pd.Series(base.endog, name=base.endog_names),
                exog,
                groups=data[groups].to_numpy(),
                exog_re=exog_re,
                exog_vc=vc,
            )
        except Exception as exc:  # patsy raises many unrelated types
            raise EngineError(f"could not build model {design.name!r}: {exc}") from exc


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
