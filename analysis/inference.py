"""Fixed-effect tests, linear contrasts and degrees of freedom."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy import stats

from analysis.engines.base import EngineFit
from analysis.errors import EngineError
from analysis.result import Estimand, FixedEffect
from analysis.spec import DfMethod


def between_within_df(fit: EngineFit) -> dict[str, float]:
    """Between-within denominator df (SAS ``DDFM=BW`` in spirit).

    Each fixed-effect column is assigned to the highest level of ``design.levels`` within which it is
    constant (the intercept to the top level). The df of a level-k term is the number of units at level k
    minus the number of units at level k−1 minus the number of terms at level k; occasion-level terms use the
    observations. Cheap, never below 1, and close to Satterthwaite for balanced nested designs.
    """
    levels = fit.design.levels
    data = fit.design.data
    exog = pd.DataFrame(fit.exog, columns=list(fit.fe_names))
    assigned: dict[str, int] = {}
    for name in fit.fe_names:
        assigned[name] = len(levels)
        for k, level in enumerate(levels):
            if exog[name].groupby(data[level].to_numpy()).nunique().max() <= 1:
                assigned[name] = k
                break
    units = [data[level].nunique() for level in levels] + [fit.n_obs]
    out = {}
    for name, k in assigned.items():
        n_terms = sum(1 for v in assigned.values() if v == k)
        below = units[k - 1] if k > 0 else 0
        out[name] = float(max(units[k] - below - n_terms, 1))
    return out


def term_dfs(fit: EngineFit, df_method: DfMethod) -> dict[str, float]:
    """Denominator df of every fixed effect (empty under ``z``)."""
    if df_method is DfMethod.BETWEEN_WITHIN:
        return between_within_df(fit)
    if df_method is DfMethod.SATTERTHWAITE:
        values = _satterthwaite(fit, np.eye(len(fit.fe_names)))
        return dict(zip(fit.fe_names, (float(v) for v in values), strict=True))
    return {}


def _satterthwaite(fit: EngineFit, rows: np.ndarray) -> np.ndarray:
    if fit.satterthwaite is None:
        raise EngineError("this engine does not provide Satterthwaite degrees of freedom")
    return fit.satterthwaite(rows)


def fixed_effect_table(fit: EngineFit, df_method: DfMethod) -> tuple[FixedEffect, ...]:
    """Coefficients with lme4-style SEs, t (or z) tests, 95% CIs and r-equivalents."""
    dfs = term_dfs(fit, df_method)
    ses = np.sqrt(np.diag(fit.fe_vcov))
    rows = []
    for name, est, se in zip(fit.fe_names, fit.fe_params, ses, strict=True):
        df = dfs.get(name)
        stat, p, lo, hi = wald(float(est), float(se), df)
        rows.append(
            FixedEffect(
                term=name,
                estimate=float(est),
                se=float(se),
                df=df,
                df_method=df_method.value,
                stat_name="z" if df is None else "t",
                stat=stat,
                p=p,
                ci_low=lo,
                ci_high=hi,
                r_equivalent=r_equivalent(stat, df),
            )
        )
    return tuple(rows)


def wald(estimate: float, se: float, df: float | None) -> tuple[float, float, float, float]:
    """Statistic, two-sided p and 95% CI using t(df), or the normal when ``df`` is None."""
    dist = stats.norm if df is None else stats.t(df)
    stat = estimate / se if se > 0 else float("nan")
    p = float(2 * dist.sf(abs(stat)))
    q = float(dist.ppf(0.975))
    return float(stat), p, estimate - q * se, estimate + q * se


def r_equivalent(stat: float, df: float | None) -> float | None:
    """Effect-size r from a t statistic: r = t / sqrt(t² + df)."""
    if df is None or not np.isfinite(stat):
        return None
    return float(stat / np.sqrt(stat**2 + df))


def contrast(
    fit: EngineFit, weights: Mapping[str, float], name: str, description: str, df_method: DfMethod
) -> Estimand:
    """Linear combination Σ w·β with SE sqrt(w'Vw) (exact: the delta method for a linear function).

    Its df: Satterthwaite for the contrast itself; between-within takes the smallest df of the terms
    involved (conservative); none under ``z``.
    """
    w = np.array([weights.get(n, 0.0) for n in fit.fe_names])
    unknown = set(weights) - set(fit.fe_names)
    if unknown:
        raise KeyError(f"unknown terms in contrast {name}: {sorted(unknown)}")
    df: float | None = None
    if df_method is DfMethod.SATTERTHWAITE:
        df = float(_satterthwaite(fit, w[None, :])[0])
    elif df_method is DfMethod.BETWEEN_WITHIN:
        dfs = between_within_df(fit)
        df = min(dfs[t] for t in weights)
    est = float(w @ fit.fe_params)
    se = float(np.sqrt(w @ fit.fe_vcov @ w))
    stat, p, lo, hi = wald(est, se, df)
    return Estimand(name, est, description, se=se, stat=stat, df=df, p=p, ci_low=lo, ci_high=hi)
