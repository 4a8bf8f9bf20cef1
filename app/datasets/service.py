"""Build the analysis library's long DataFrame from the store (SQL does the work; pandas only parses)."""

import io
from dataclasses import dataclass
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
from sqlalchemy.orm import Session

from app.auth.principal import Principal
from app.datasets import repository
from app.datasets.params import ExtractionParams
from app.datasets.sql import (
    FRAME_COLUMNS,
    ID_COLUMNS,
    excluded_count_query,
    instrument_version_queries,
    occasions_query,
)

FRAME_SCHEMA = pa.schema(
    [(c, pa.string()) for c in ID_COLUMNS]
    + [("occasion", pa.int32())]
    + [(c, pa.float64()) for c in ("time", "A_p", "A_c", "y")]
    + [(c, pa.float64()) for c in ("y_gap_days", "age", "female", "days_since_enrolment")]
)


@dataclass(frozen=True)
class Extract:
    frame: pd.DataFrame
    n_excluded_withdrawn: int


def parse_csv(data: bytes) -> pd.DataFrame:
    """CSV from COPY → DataFrame with fixed dtypes (pyarrow's multithreaded parser)."""
    if not data:
        return pd.DataFrame({f.name: pd.Series(dtype=f.type.to_pandas_dtype()) for f in FRAME_SCHEMA})
    table = pacsv.read_csv(
        io.BytesIO(data),
        convert_options=pacsv.ConvertOptions(column_types=FRAME_SCHEMA, strings_can_be_null=False),
    )
    frame = table.select(list(FRAME_COLUMNS)).to_pandas()
    return frame


def build_frame(
    session: Session, principal: Principal, params: ExtractionParams, key: bytes | None = None
) -> pd.DataFrame:
    """The long frame (ids as uuid text, or pseudonyms when ``key`` is given)."""
    repository.use_sort_memory(session)
    return parse_csv(repository.copy_all(session, occasions_query(principal, params, key)))


def extract(
    session: Session, principal: Principal, params: ExtractionParams, key: bytes | None = None
) -> Extract:
    frame = build_frame(session, principal, params, key)
    excluded = int(repository.scalar(session, excluded_count_query(principal, params)) or 0)
    return Extract(frame=frame, n_excluded_withdrawn=excluded)


def instrument_versions(session: Session, principal: Principal, params: ExtractionParams) -> dict[str, Any]:
    """Which definition versions the extracted values were scored with: ``{code: {version: n}}``."""
    out: dict[str, Any] = {}
    for query in instrument_version_queries(principal, params):
        for code, version, n in repository.rows(session, query):
            out.setdefault(code, {})[version] = out.get(code, {}).get(version, 0) + int(n)
    return out
