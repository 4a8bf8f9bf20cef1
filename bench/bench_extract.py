"""Extraction benchmark: 1M alliance ratings + 1M outcome measures; build the analysis frame vs a raw COPY.

Setup is bulk SQL (generate_series) into a scratch database on the embedded (or TEST_DATABASE_URL) server.
Measured side by side, interleaved, best of ``BENCH_ROUNDS`` (3): (a) the full extraction
(`app.datasets.service.build_frame`: matching, consent, scope, COPY → pyarrow → pandas), (b) the previous
LATERAL-lookup query through the same parse, and (c) a raw ``COPY`` of the same columns from ``measurements``
parsed the same way. ``BENCH_REUSE=1`` keeps an existing bench database (setup takes minutes). Writes
bench/results/extract.json.
"""

import io
import json
import os
import time
from pathlib import Path

import psycopg
import pyarrow.csv as pacsv
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session

from app.auth.principal import SYSTEM
from app.config import PROJECT_ROOT
from app.datasets import service
from app.datasets.params import ExtractionParams
from app.datasets.repository import copy_all, driver_connection
from app.datasets.sql import _where, occasions_query, usable
from app.db.engine import build_engine, build_sessionmaker
from app.db.migrate import upgrade
from app.db.url import start_embedded, to_psycopg_url
from app.instruments.definition import InstrumentKind

N_PATIENTS = int(os.environ.get("BENCH_PATIENTS", 50_000))
WAVES = 10  # per patient: 10 WAI-SR + 10 WAI-SR-T + 10 HoNOS + 10 K10 → 1M + 1M at 50k patients
SETUP = f"""
INSERT INTO sites (id, code, name)
  SELECT gen_random_uuid(), 'B' || s, 'bench ' || s FROM generate_series(1, 4) s;
CREATE TEMP TABLE s AS SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM sites;
INSERT INTO case_managers (id, site_id, code, discipline, started_on)
  SELECT gen_random_uuid(), s.id, 'CM' || c, 'nursing', '2015-01-01'
  FROM generate_series(0, 399) c JOIN s ON s.n = c % 4;
CREATE TEMP TABLE c AS SELECT id, site_id, row_number() OVER (ORDER BY id) - 1 AS n FROM case_managers;
CREATE TEMP TABLE p AS SELECT gen_random_uuid() AS id, g AS n FROM generate_series(0, {N_PATIENTS - 1}) g;
INSERT INTO patients (id, site_id, study_id, birth_year, sex, enrolled_on)
  SELECT p.id, c.site_id, 'P' || p.n, 1960 + p.n % 40,
    CASE WHEN p.n % 2 = 0 THEN 'female' ELSE 'male' END, '2020-01-01'
  FROM p JOIN c ON c.n = p.n % 400;
INSERT INTO dyads (id, site_id, patient_id, case_manager_id, started_on)
  SELECT gen_random_uuid(), c.site_id, p.id, c.id, '2020-02-01' FROM p JOIN c ON c.n = p.n % 400;
CREATE TEMP TABLE d AS SELECT id, site_id, patient_id, case_manager_id FROM dyads;
INSERT INTO measurements (id, record_id, version, is_current, status, kind, site_id, patient_id, dyad_id,
  case_manager_id, instrument_code, instrument_version, rater, rated_on, scores, total, n_valid, prorated,
  natural_key, created_by)
SELECT x.id, x.id, 1, true, 'active', x.kind, x.site_id, x.patient_id, x.dyad_id, x.cm_id, x.code, x.version,
  x.rater, x.rated_on, '{{}}'::jsonb, x.total, 12, false, sha256(convert_to(x.id::text, 'UTF8')),
  '00000000-0000-0000-0000-000000000000'
FROM (
  SELECT gen_random_uuid() AS id, i.kind, d.site_id, d.patient_id,
    CASE WHEN i.kind = 'alliance' THEN d.id END AS dyad_id,
    CASE WHEN i.kind = 'alliance' THEN d.case_manager_id END AS cm_id,
    i.code, i.version, i.rater, date '2020-02-10' + w * 91 + i.shift AS rated_on,
    CASE WHEN i.kind = 'alliance' THEN 1 + random() * 4 ELSE round(random() * 40) END AS total
  FROM d CROSS JOIN generate_series(0, {WAVES - 1}) w
  CROSS JOIN (VALUES ('wai-sr', '2006', 'alliance', 'patient', 0),
                     ('wai-sr-t', '2020', 'alliance', 'case_manager', 3),
                     ('honos', '1998', 'outcome', 'case_manager', 5),
                     ('k10', 'au-2001', 'outcome', 'patient', 1))
       AS i(code, version, kind, rater, shift)
) x;
ANALYZE;
"""
RAW = (
    "COPY (SELECT site_id, patient_id, dyad_id, rated_on, total FROM measurements "
    "WHERE instrument_code IN ('wai-sr', 'wai-sr-t', 'honos')) TO STDOUT (FORMAT csv, HEADER true)"
)


LATERAL_MATCHES = """
LEFT JOIN LATERAL (
  SELECT m.total FROM measurements m
  WHERE m.dyad_id = a.dyad_id AND {partner}
    AND m.rated_on BETWEEN a.rated_on - {w} AND a.rated_on + {w}
  ORDER BY abs(m.rated_on - a.rated_on), m.rated_on, m.id LIMIT 1
) pr ON true
LEFT JOIN LATERAL (
  SELECT m.total, m.rated_on FROM measurements m
  WHERE m.patient_id = a.patient_id AND {outcome}
    AND m.rated_on BETWEEN a.rated_on - {w} AND a.rated_on + {w}
  ORDER BY abs(m.rated_on - a.rated_on), m.rated_on, m.id LIMIT 1
) o ON true
"""


def lateral_query(params: ExtractionParams) -> str:
    """The previous extraction (commit f13b473): two LATERAL nearest-match index lookups per occasion, at the
    default work_mem. Kept here to be measured side by side with the set-based query that replaced it."""
    query = occasions_query(SYSTEM, params)
    head, tail = query.split("), pr AS (", 1)
    select = tail[tail.index("\nSELECT\n") :]
    before_joins, order = select.split("LEFT JOIN pr ON", 1)[0], select[select.index("ORDER BY a.dyad_id") :]
    partner = params.partner_rater
    matches = LATERAL_MATCHES.format(
        partner=_where(usable(InstrumentKind.ALLIANCE, params.alliance[partner], partner)),
        outcome=_where(usable(InstrumentKind.OUTCOME, params.outcome)),
        w=params.window_days,
    )
    return f"{head})" + before_joins + matches + order


def prepare_database(name: str = "bench_extract") -> tuple[URL, dict[str, int], float | None]:
    """The 1M + 1M bench database (reused as it is when ``BENCH_REUSE=1`` and it exists)."""
    server = os.environ.get("TEST_DATABASE_URL") or start_embedded(PROJECT_ROOT / ".data" / "pg-test")
    url = to_psycopg_url(server).set(database=name)
    libpq = url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(server, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        reuse = exists is not None and os.environ.get("BENCH_REUSE") == "1"
        if not reuse:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[arg-type]
            conn.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
    setup_s = None
    if not reuse:
        upgrade(url)
        t = time.perf_counter()
        with psycopg.connect(libpq) as conn:
            conn.execute(SETUP)  # type: ignore[arg-type]
        setup_s = time.perf_counter() - t
    with psycopg.connect(libpq) as conn:
        rows = conn.execute("SELECT kind, count(*) FROM measurements GROUP BY kind").fetchall()
    return url, {str(kind): int(n) for kind, n in rows}, setup_s


def _timed_frame(session: Session, query: str) -> tuple[float, int]:
    t = time.perf_counter()
    frame = service.parse_csv(copy_all(session, query))
    return time.perf_counter() - t, len(frame)


def main() -> None:
    url, counts, setup_s = prepare_database()
    engine = build_engine(url, pool_size=2)
    make_session = build_sessionmaker(engine)
    params = ExtractionParams()
    times: dict[str, list[float]] = {"extract": [], "lateral": [], "raw": []}
    rows = lateral_rows = raw_rows = 0
    for _ in range(int(os.environ.get("BENCH_ROUNDS", 3))):  # interleaved: all three see the same load
        with make_session() as session:
            t = time.perf_counter()
            rows = len(service.build_frame(session, SYSTEM, params))
            times["extract"].append(time.perf_counter() - t)
        with make_session() as session:
            seconds, lateral_rows = _timed_frame(session, lateral_query(params))
            times["lateral"].append(seconds)
        with make_session() as session:
            t = time.perf_counter()
            buf = io.BytesIO()
            with driver_connection(session).cursor() as cur, cur.copy(RAW) as copy:
                for chunk in copy:
                    buf.write(chunk)
            raw_rows = len(pacsv.read_csv(io.BytesIO(buf.getvalue())).to_pandas())
            times["raw"].append(time.perf_counter() - t)
    engine.dispose()
    assert lateral_rows == rows
    best = {k: min(v) for k, v in times.items()}
    result = {
        "alliance_ratings": counts.get("alliance"),
        "outcome_measures": counts.get("outcome"),
        "frame_rows": rows,
        "raw_copy_rows": raw_rows,
        "extract_seconds": round(best["extract"], 3),
        "raw_copy_seconds": round(best["raw"], 3),
        "extract_speed_vs_raw_copy": round(best["raw"] / best["extract"], 3),
        "rows_per_second_extract": round(rows / best["extract"]),
        "previous_lateral_seconds": round(best["lateral"], 3),
        "previous_lateral_speed_vs_raw_copy": round(best["raw"] / best["lateral"], 3),
        "setup_seconds": round(setup_s, 1) if setup_s is not None else "reused",
        "load_average": os.getloadavg()[0],
        "runs": {k: [round(x, 3) for x in v] for k, v in times.items()},
        "targets": {"extract_seconds_max": 3.0, "speed_vs_raw_min": 0.30},
    }
    out = Path(__file__).parent / "results" / "extract.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    print(f"{'measure':<36}{'value':>14}")
    for k, v in result.items():
        if k not in ("runs", "targets"):
            print(f"{k:<36}{v!s:>14}")
    print("runs (s):", result["runs"])


if __name__ == "__main__":
    main()
