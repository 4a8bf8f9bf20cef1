"""The frozen, de-identified data set of a run: pseudonymise, serialise (Parquet), fingerprint."""

import hashlib
import hmac
import io

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from analysis.fingerprint import frame_fingerprint
from app.datasets.sql import ID_COLUMNS, ID_PREFIX, pseudonym


def run_key(secret: bytes, dataset_sha256: str) -> bytes:
    """The re-keying key of a run's data set: fixed by the data, so equal data get equal pseudonyms
    (and an equal frame, hence an identical fit), but unlinkable to other exports without the secret."""
    return hmac.new(secret, f"analysis-dataset:{dataset_sha256}".encode(), hashlib.sha256).digest()


def pseudonymise(frame: pd.DataFrame, key: bytes) -> tuple[pd.DataFrame, dict[str, str]]:
    """Replace every id with its pseudonym; returns the frame and ``{patient pseudonym: patient id}``."""
    out = frame.copy()
    patient_keys: dict[str, str] = {}
    for col in ID_COLUMNS:
        mapping = {v: pseudonym(v, ID_PREFIX[col], key) for v in out[col].unique()}
        if col == "patient_id":
            patient_keys = {p: v for v, p in mapping.items()}
        out[col] = out[col].map(mapping)
    out = out.sort_values(["site_id", "cm_id", "dyad_id", "occasion"], kind="mergesort").reset_index(
        drop=True
    )
    return out, patient_keys


def fingerprint(frame: pd.DataFrame) -> str:
    return frame_fingerprint(frame)


def to_parquet(frame: pd.DataFrame) -> bytes:
    buf = io.BytesIO()
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), buf, compression="zstd")
    return buf.getvalue()


def from_parquet(data: bytes) -> pd.DataFrame:
    return pq.read_table(io.BytesIO(data)).to_pandas()


def to_csv(frame: pd.DataFrame) -> bytes:
    """CSV that round-trips floats exactly (17 significant digits)."""
    return frame.to_csv(index=False, float_format="%.17g", lineterminator="\n").encode()
