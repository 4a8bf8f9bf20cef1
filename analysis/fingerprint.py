"""SHA-256 fingerprint of a canonicalised input frame (provenance)."""

from __future__ import annotations

import hashlib

import pandas as pd


def frame_fingerprint(df: pd.DataFrame) -> str:
    """Hash a frame independently of row order, column order and index.

    Columns are sorted by name, rows by all columns, floats are written with 17 significant digits, so the
    hash changes exactly when the data the model sees change.
    """
    cols = sorted(df.columns)
    canon = df[cols].reset_index(drop=True)
    canon = canon.sort_values(cols, kind="mergesort", na_position="last").reset_index(drop=True)
    payload = canon.to_csv(index=False, float_format="%.17g", lineterminator="\n")
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()
