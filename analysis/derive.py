"""Derived alliance variables (models.md §3.0): person/CM means, centring, lags, detrending, ICC2.

The level-2 unit is the dyad (a patient who changes case manager starts a new dyad), so "person" means
below are dyad means. Every function returns a new frame; inputs are never modified.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def decompose(df: pd.DataFrame, source: str, prefix: str) -> pd.DataFrame:
    """Split ``source`` into within-dyad, between-dyad and between-CM parts.

    Adds ``{prefix}m`` (dyad mean), ``{prefix}c`` (within deviation), ``{prefix}cm`` (CM mean of dyad means,
    so dyads weigh equally), ``{prefix}mc`` (dyad mean minus CM mean) and ``{prefix}cmc`` (CM mean minus the
    grand mean of CM means). With ``prefix="A_p"`` these are the documented ``A_pm, A_pc, A_pcm`` ... names;
    :func:`derive_alliance` renames the CM mean to ``A_cm``.
    """
    out = df.copy()
    pm = out.groupby("dyad_id", sort=False)[source].transform("mean")
    dyad_means = (
        out.assign(_pm=pm).groupby("dyad_id", sort=False).agg(cm_id=("cm_id", "first"), pm=("_pm", "first"))
    )
    cm_mean = dyad_means.groupby("cm_id", sort=False)["pm"].mean()
    cm = out["cm_id"].map(cm_mean)
    out[f"{prefix}m"] = pm
    out[f"{prefix}c"] = out[source] - pm
    out[f"{prefix}cm"] = cm
    out[f"{prefix}mc"] = pm - cm
    out[f"{prefix}cmc"] = cm - cm_mean.mean()
    return out


def derive_alliance(df: pd.DataFrame, source: str = "A_p") -> pd.DataFrame:
    """Add ``A_pm, A_pc, A_cm, A_pmc, A_cmc, A_pc_dt`` computed from the alliance column ``source``.

    The names follow models.md §3.0 whichever rater ``source`` is (``A_p`` patient, ``A_c`` case manager).
    """
    out = decompose(df, source, "_tmp_")
    out = out.rename(
        columns={
            "_tmp_m": "A_pm",
            "_tmp_c": "A_pc",
            "_tmp_cm": "A_cm",
            "_tmp_mc": "A_pmc",
            "_tmp_cmc": "A_cmc",
        }
    )
    out["A_pc_dt"] = detrend(out, source)
    return out


def detrend(df: pd.DataFrame, source: str, time: str = "time") -> pd.Series:
    """Residual of ``source`` on ``time`` by OLS within each dyad (Wang & Maxwell 2015).

    Dyads with a single occasion, or no variation in time, get the deviation from their mean.
    """
    t = df[time] - df.groupby("dyad_id", sort=False)[time].transform("mean")
    a = df[source] - df.groupby("dyad_id", sort=False)[source].transform("mean")
    stt = (t * t).groupby(df["dyad_id"], sort=False).transform("sum")
    sta = (t * a).groupby(df["dyad_id"], sort=False).transform("sum")
    slope = (sta / stt.where(stt > 0)).fillna(0.0)
    return (a - slope * t).rename(f"{source}_dt")


def add_lags(df: pd.DataFrame, columns: list[str], lag: int = 1, time: str = "time") -> pd.DataFrame:
    """Add ``{col}_lag``: the value ``lag`` occasions earlier in the same dyad (NaN if none)."""
    out = df.sort_values(["dyad_id", time], kind="mergesort").copy()
    grouped = out.groupby("dyad_id", sort=False)
    for col in columns:
        out[f"{col}_lag"] = grouped[col].shift(lag)
    return out.sort_index()


def icc_cm_means(df: pd.DataFrame, source: str) -> tuple[float, float, float]:
    """One-way ANOVA ICC(1) and ICC(2) of dyad means of ``source`` across case managers.

    Returns
    -------
    icc1, icc2, k0
        ICC(1) = (MSB − MSW) / (MSB + (k0 − 1)·MSW), ICC(2) = (MSB − MSW) / MSB (the reliability of a CM's
        mean, equal to k·ICC1 / (1 + (k − 1)·ICC1) for equal caseloads k), and k0, the ANOVA-adjusted mean
        number of dyads per CM. NaN when every CM has a single dyad.
    """
    means = df.groupby("dyad_id", sort=False).agg(cm_id=("cm_id", "first"), v=(source, "mean")).dropna()
    groups = means.groupby("cm_id", sort=False)["v"]
    n_j = groups.size().to_numpy(dtype=float)
    n, g = n_j.sum(), len(n_j)
    if g < 2 or n - g < 1:
        return float("nan"), float("nan"), float("nan")
    grand = means["v"].mean()
    ssb = float((n_j * (groups.mean().to_numpy() - grand) ** 2).sum())
    ssw = float(((means["v"] - groups.transform("mean")) ** 2).sum())
    msb, msw = ssb / (g - 1), ssw / (n - g)
    k0 = (n - (n_j**2).sum() / n) / (g - 1)
    icc1 = (msb - msw) / (msb + (k0 - 1) * msw)
    icc2 = (msb - msw) / msb if msb > 0 else float("nan")
    return float(icc1), float(icc2), float(k0)


def winsorize(series: pd.Series, fraction: float) -> pd.Series:
    """Clip a series at its ``fraction`` and ``1 − fraction`` quantiles."""
    lo, hi = series.quantile([fraction, 1.0 - fraction])
    return series.clip(lower=lo, upper=hi)


def level_sd(df: pd.DataFrame, column: str) -> dict[str, float]:
    """Empirical SD of ``column`` at each level: within dyad, between dyads within CM, between CMs."""
    d = decompose(df[["cm_id", "dyad_id", column]].dropna(), column, "_v")
    dyads = d.groupby("dyad_id", sort=False).first()
    cms = dyads.groupby("cm_id", sort=False).first()
    return {
        "occasion": float(np.std(d["_vc"], ddof=1)),
        "dyad": float(np.std(dyads["_vmc"], ddof=1)),
        "cm": float(np.std(cms["_vcmc"], ddof=1)),
    }


def derive_outcome(df: pd.DataFrame, outcome: str) -> pd.DataFrame:
    """Add ``{outcome}_pm, {outcome}_pc, {outcome}_pmc, {outcome}_cmc`` (used by T4's reverse path)."""
    out = decompose(df, outcome, "_tmp_")
    renames = {"_tmp_m": "pm", "_tmp_c": "pc", "_tmp_mc": "pmc", "_tmp_cmc": "cmc"}
    out = out.rename(columns={k: f"{outcome}_{v}" for k, v in renames.items()})
    return out.drop(columns=["_tmp_cm"])
