"""Export benchmark: ~1M alliance ratings streamed as CSV and Parquet by the real server; raw COPY alongside.

Uses the 1M + 1M database of ``bench_extract.py`` (built there; ``BENCH_REUSE=1`` keeps an existing one). A
``dyadstudy serve`` process (no demo, no worker) serves ``GET /api/v1/exports/alliance-ratings``; this
process streams each export with httpx and counts rows and bytes, while the server's peak resident memory is
read from ``/proc/<pid>/status`` (``VmHWM``, reset before each export through ``/proc/<pid>/clear_refs``). The
raw COPY of the same columns from ``measurements`` runs in this process, in the same run. Writes
bench/results/export.json.
"""

import io
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import psycopg
import pyarrow.parquet as pq
from bench_extract import prepare_database  # type: ignore[import-not-found]

from app.bootstrap import create_key_directly

EXPORT = "/api/v1/exports/alliance-ratings"
RAW = (
    "COPY (SELECT m.site_id, m.patient_id, m.dyad_id, m.case_manager_id, m.instrument_code, "
    "m.instrument_version, m.rater, m.rated_on - p.enrolled_on, m.total, m.n_valid, m.prorated "
    "FROM measurements m JOIN patients p ON p.id = m.patient_id WHERE m.kind = 'alliance') "
    "TO STDOUT (FORMAT csv, HEADER true)"
)
CASES = [  # (label, query string, key role)
    ("csv_deidentified", "format=csv", "researcher"),
    ("parquet_deidentified", "format=parquet", "researcher"),
    ("csv_identifiable", "format=csv&identifiable=true", "admin"),
]


def _status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_up(base: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/docs", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError("server did not start")


def _export(base: str, pid: int, query: str, key: str) -> dict[str, float]:
    Path(f"/proc/{pid}/clear_refs").write_text("5")  # reset the peak RSS (VmHWM) to the current RSS
    before_kb = _status_kb(pid, "VmRSS")
    size = 0
    t = time.perf_counter()
    with (
        tempfile.TemporaryFile() as sink,
        httpx.stream(
            "GET", f"{base}{EXPORT}?{query}", headers={"Authorization": f"Bearer {key}"}, timeout=600
        ) as r,
    ):
        r.raise_for_status()
        for chunk in r.iter_raw():
            sink.write(chunk)
            size += len(chunk)
        seconds = time.perf_counter() - t
        sink.seek(0)
        if "parquet" in query:
            rows = pq.read_metadata(sink).num_rows
        else:
            rows = sum(block.count(b"\n") for block in iter(lambda: sink.read(1 << 20), b"")) - 1
    peak_kb = _status_kb(pid, "VmHWM")
    return {
        "rows": rows,
        "megabytes": round(size / 1e6, 1),
        "seconds": round(seconds, 2),
        "rows_per_second": round(rows / seconds),
        "server_rss_before_mb": round(before_kb / 1024, 1),
        "server_peak_rss_mb": round(peak_kb / 1024, 1),
        "server_peak_increase_mb": round((peak_kb - before_kb) / 1024, 1),
    }


def _raw_copy(libpq: str) -> dict[str, float]:
    size = 0
    t = time.perf_counter()
    with psycopg.connect(libpq) as conn, conn.cursor() as cur, cur.copy(RAW) as copy:
        buf = io.BytesIO()
        for chunk in copy:
            size += len(chunk)
            buf.write(chunk)
        seconds = time.perf_counter() - t
        rows = buf.getvalue().count(b"\n") - 1
    return {
        "rows": rows,
        "megabytes": round(size / 1e6, 1),
        "seconds": round(seconds, 2),
        "rows_per_second": round(rows / seconds),
    }


def main() -> None:
    url, counts, _ = prepare_database()
    libpq = url.set(drivername="postgresql").render_as_string(hide_password=False)
    keys = {role: create_key_directly(url, role, "bench_export", None) for role in ("researcher", "admin")}
    port = _free_port()
    env = {
        **os.environ,
        "DYADSTUDY_DATABASE_URL": url.render_as_string(hide_password=False),
        "DYADSTUDY_LOG_LEVEL": "WARNING",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--port", str(port), "--no-demo", "--no-worker"],
        env=env,
        stdout=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    results: dict[str, dict[str, float]] = {}
    try:
        _wait_up(base)
        _export(base, server.pid, "format=csv&rated_to=2020-03-01", keys["researcher"])  # warm-up
        rounds = int(os.environ.get("BENCH_ROUNDS", 2))
        for label, query, role in CASES:
            runs = [_export(base, server.pid, query, keys[role]) for _ in range(rounds)]
            results[label] = min(runs, key=lambda r: r["seconds"])
            results[label]["peak_rss_max_over_runs_mb"] = max(r["server_peak_rss_mb"] for r in runs)
        results["raw_copy"] = min((_raw_copy(libpq) for _ in range(rounds)), key=lambda r: r["seconds"])
    finally:
        server.terminate()
        server.wait(30)
    for label, _, _ in CASES:
        ratio = results[label]["rows_per_second"] / results["raw_copy"]["rows_per_second"]
        results[label]["speed_vs_raw_copy"] = round(ratio, 3)
    result = {"alliance_ratings": counts.get("alliance"), "load_average": os.getloadavg()[0], **results}
    out = Path(__file__).parent / "results" / "export.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
