"""Sample description for the reporting checklist (models.md §3.9)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.result import SampleDescription


def _mmm(sizes: pd.Series) -> tuple[float, float, float]:
    return float(sizes.min()), float(np.median(sizes)), float(sizes.max())


def describe_sample(df: pd.DataFrame) -> SampleDescription:
    """Counts of sites, CMs, patients, dyads, occasions; cluster sizes; patients seen by more than one CM."""
    return SampleDescription(
        n_sites=int(df["site_id"].nunique()) if "site_id" in df.columns else None,
        n_cms=int(df["cm_id"].nunique()),
        n_patients=int(df["patient_id"].nunique()),
        n_dyads=int(df["dyad_id"].nunique()),
        n_occasions=len(df),
        occasions_per_dyad=_mmm(df.groupby("dyad_id").size()),
        dyads_per_cm=_mmm(df.groupby("cm_id")["dyad_id"].nunique()),
        n_patients_changed_cm=int((df.groupby("patient_id")["cm_id"].nunique() > 1).sum()),
    )
