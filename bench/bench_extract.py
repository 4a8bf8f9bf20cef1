"""Extraction benchmark: 1M alliance ratings + 1M outcome measures; build the analysis frame vs a raw COPY.

Setup is bulk SQL (generate_series) into a scratch database on the embedded (or TEST_DATABASE_URL) server.
Measured side by side, best of 3: (a) the full extraction (`app.datasets.service.build_frame`: matching,
consent, scope, COPY → pyarrow → pandas) and (b) a raw ``COPY`` of the same columns from ``measurements``
parsed the same way. Writes bench/results/extract.json.
"""

import io
import json
import os
import time
from pathlib import Path

import psycopg
import pyarrow.csv as pacsv

from app.auth.principal import SYSTEM
from app.config import PROJECT_ROOT
from app.datasets import service
from app.datasets.params import ExtractionParams
from app.datasets.repository import driver_connection
from app.db.engine import build_engine, build_sessionmaker
from app.db.migrate import upgrade
from app.db.url import start_embedded, to_psycopg_url

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


def main() -> None:
    server = os.environ.get("TEST_DATABASE_URL") or start_embedded(PROJECT_ROOT / ".data" / "pg-test")
    name = "bench_extract"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    url = to_psycopg_url(server).set(database=name)
    upgrade(url)
    t = time.perf_counter()
    with psycopg.connect(url.set(drivername="postgresql").render_as_string(hide_password=False)) as conn:
        conn.execute(SETUP)  # type: ignore[arg-type]
        counts: dict[str, int] = dict(
            conn.execute("SELECT kind, count(*) FROM measurements GROUP BY kind").fetchall()  # type: ignore[arg-type]
        )
    setup_s = time.perf_counter() - t
    engine = build_engine(url, pool_size=2)
    make_session = build_sessionmaker(engine)
    extract_times, raw_times, rows, raw_rows = [], [], 0, 0
    for _ in range(3):
        with make_session() as session:
            t = time.perf_counter()
            frame = service.build_frame(session, SYSTEM, ExtractionParams())
            extract_times.append(time.perf_counter() - t)
            rows = len(frame)
            conn = driver_connection(session)
            t = time.perf_counter()
            buf = io.BytesIO()
            with conn.cursor() as cur, cur.copy(RAW) as copy:
                for chunk in copy:
                    buf.write(chunk)
            raw = pacsv.read_csv(io.BytesIO(buf.getvalue())).to_pandas()
            raw_times.append(time.perf_counter() - t)
            raw_rows = len(raw)
    engine.dispose()
    best_e, best_r = min(extract_times), min(raw_times)
    result = {
        "alliance_ratings": counts.get("alliance"),
        "outcome_measures": counts.get("outcome"),
        "frame_rows": rows,
        "raw_copy_rows": raw_rows,
        "extract_seconds": round(best_e, 3),
        "raw_copy_seconds": round(best_r, 3),
        "extract_speed_vs_raw_copy": round(best_r / best_e, 3),
        "rows_per_second_extract": round(rows / best_e),
        "setup_seconds": round(setup_s, 1),
        "runs": {"extract": [round(x, 3) for x in extract_times], "raw": [round(x, 3) for x in raw_times]},
        "targets": {"extract_seconds_max": 3.0, "speed_vs_raw_min": 0.30},
    }
    out = Path(__file__).parent / "results" / "extract.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    print(f"{'measure':<28}{'value':>14}")
    for k in ("alliance_ratings", "outcome_measures", "frame_rows", "raw_copy_rows", "extract_seconds",
              "raw_copy_seconds", "extract_speed_vs_raw_copy"):  # fmt: skip
        print(f"{k:<28}{result[k]!s:>14}")


if __name__ == "__main__":
    main()
