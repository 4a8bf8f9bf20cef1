"""Ingest benchmark: the real server over HTTP, with its ceilings measured in the same run.

    .venv/bin/python bench/bench_ingest.py [--patients 2000] [--seconds 5]

1. Starts ``dyadstudy serve`` (subprocess) against its own fresh database on the embedded PostgreSQL
   (``dyadstudy_bench`` in ``.data/pg``; or ``--database-url``), rate limiting, demo data and worker off.
2. Loads a realistic study through the API: sites, case managers, patients, dyads (single POSTs, 8 clients),
   then 6 waves of WAI-SR (patient) + WAI-SR-T (case manager) + HoNOS + K10 through POST /submissions at
   1,000 rows per request (that load is the batch measurement).
3. Single POST /alliance-ratings at 1, 8 and 32 concurrent clients (requests/s, p50, p99), and the framework
   ceiling: GET /api/v1/whoami (authenticated, one indexed query) at the same concurrency.
4. Database ceiling: PostgreSQL COPY of the same batch rows (fully scored column values, same table and
   indexes) in a transaction that is rolled back.

Writes ``bench/results/ingest.json`` and prints a table with the ratios to the targets.
"""

import argparse
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.instruments.builtin import get_builtin  # noqa: E402
from app.instruments.scoring import score  # noqa: E402
from app.measurements.prepare import natural_key, score_columns  # noqa: E402

V1 = "/api/v1"
WAVES = 6


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def bench_database(given: str | None) -> str:
    if given:
        return given
    from app.db.url import start_embedded

    admin_uri = start_embedded(ROOT / ".data" / "pg", cleanup_mode=None)
    with psycopg.connect(admin_uri, autocommit=True) as conn:
        conn.execute('DROP DATABASE IF EXISTS "dyadstudy_bench" WITH (FORCE)')
        conn.execute('CREATE DATABASE "dyadstudy_bench"')
    return admin_uri.replace("/postgres?", "/dyadstudy_bench?")


def start_server(database_url: str, port: int) -> tuple[subprocess.Popen[bytes], dict[str, str]]:
    env = {
        **os.environ,
        "DYADSTUDY_DATABASE_URL": database_url,
        "DYADSTUDY_RATE_LIMIT": "",
        "DYADSTUDY_WORKER_IN_SERVE": "false",
        "DYADSTUDY_DEMO_ON_START": "false",
        "DYADSTUDY_LOG_LEVEL": "WARNING",
        "DYADSTUDY_DB_POOL_SIZE": "40",
    }
    exe = str(ROOT / ".venv" / "bin" / "dyadstudy")
    key = (
        subprocess.run(
            [exe, "create-key", "--role", "admin", "--label", "bench"],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        .stdout.strip()
        .split()[-1]
    )
    proc = subprocess.Popen(
        [exe, "serve", "--port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.1)
    else:
        proc.kill()
        raise SystemExit("server did not start")
    return proc, {"base": base, "key": key}


def parallel(
    n_clients: int, jobs: list[Any], work: Callable[[httpx.Client, Any], None], base: str, key: str
) -> None:
    lock = threading.Lock()
    it = iter(jobs)

    def run() -> None:
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=60) as client:
            while True:
                with lock:
                    job = next(it, None)
                if job is None:
                    return
                work(client, job)

    threads = [threading.Thread(target=run) for _ in range(n_clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def load_study(base: str, key: str, n_patients: int) -> list[dict[str, Any]]:
    h = {"Authorization": f"Bearer {key}"}
    sites = []
    for s in range(4):
        r = httpx.post(base + V1 + "/sites", json={"code": f"BENCH-{s}", "name": f"Bench {s}"}, headers=h)
        sites.append(r.raise_for_status().json()["id"])
    cms: dict[str, list[str]] = {s: [] for s in sites}

    def make_cm(client: httpx.Client, job: tuple[str, int]) -> None:
        site, i = job
        body = {"site_id": site, "code": f"CM{i:03d}", "discipline": "nursing", "started_on": "2018-01-01"}
        cms[site].append(client.post(V1 + "/case-managers", json=body).raise_for_status().json()["id"])

    parallel(8, [(s, i) for s in sites for i in range(n_patients // 4 // 15 + 1)], make_cm, base, key)
    dyads: list[dict[str, Any]] = []
    rng = random.Random(1)

    def make_patient(client: httpx.Client, i: int) -> None:
        site = sites[i % 4]
        enrolled = date(2019, 1, 1) + timedelta(days=rng.randrange(365))
        patient = client.post(V1 + "/patients", json={"site_id": site, "enrolled_on": enrolled.isoformat()})
        pid = patient.raise_for_status().json()["id"]
        dyad = client.post(
            V1 + "/dyads",
            json={
                "patient_id": pid,
                "case_manager_id": rng.choice(cms[site]),
                "started_on": enrolled.isoformat(),
            },
        )
        dyads.append({"patient_id": pid, "dyad_id": dyad.raise_for_status().json()["id"], "start": enrolled})

    parallel(8, list(range(n_patients)), make_patient, base, key)
    return dyads


def clamp(x: float, lo: int, hi: int) -> int:
    return max(lo, min(hi, int(round(x))))


def study_rows(dyads: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Both raters' alliance (WAI-SR, WAI-SR-T) and HoNOS + K10 at 6 waves, with person-level trends."""
    rng = random.Random(2)
    rows = []
    for d in dyads:
        a_p, a_c, sev = rng.gauss(3.8, 0.5), rng.gauss(3.6, 0.4), rng.gauss(14, 5)
        for w in range(WAVES):
            on = (d["start"] + timedelta(days=30 + 60 * w)).isoformat()
            growth = 0.05 * w
            wai = {str(i): clamp(rng.gauss(a_p + growth, 0.6), 1, 5) for i in range(1, 13)}
            wait = {str(i): clamp(rng.gauss(a_c + growth, 0.5), 1, 5) for i in range(1, 13)}
            honos = {str(i): clamp(rng.gauss((sev - 1.2 * w) / 12, 0.8), 0, 4) for i in range(1, 13)}
            k10 = {str(i): clamp(rng.gauss(2.6 - 0.1 * w, 0.8), 1, 5) for i in range(1, 11)}
            base = {"rated_on": on, "occasion": f"w{w}"}
            rows += [
                {
                    "type": "alliance_rating",
                    "dyad_id": d["dyad_id"],
                    "instrument": "wai-sr",
                    "rater": "patient",
                    "items": wai,
                    **base,
                },
                {
                    "type": "alliance_rating",
                    "dyad_id": d["dyad_id"],
                    "instrument": "wai-sr-t",
                    "rater": "case_manager",
                    "items": wait,
                    **base,
                },
                {
                    "type": "outcome_measure",
                    "patient_id": d["patient_id"],
                    "instrument": "honos",
                    "rater": "case_manager",
                    "items": honos,
                    **base,
                },
                {
                    "type": "outcome_measure",
                    "patient_id": d["patient_id"],
                    "instrument": "k10",
                    "rater": "patient",
                    "items": k10,
                    **base,
                },
            ]
    return rows


def timed_requests(
    base: str, key: str, clients: int, make: Callable[[int], tuple[str, str, Any]], seconds: float
) -> dict[str, float]:
    latencies: list[float] = []
    errors = [0]
    counter = [0]
    lock = threading.Lock()
    stop_at = time.perf_counter() + seconds

    def run() -> None:
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=60) as client:
            local: list[float] = []
            while time.perf_counter() < stop_at:
                with lock:
                    n = counter[0]
                    counter[0] += 1
                method, path, body = make(n)
                t0 = time.perf_counter()
                r = client.request(method, path, json=body)
                local.append(time.perf_counter() - t0)
                if r.status_code >= 300:
                    with lock:
                        errors[0] += 1
            with lock:
                latencies.extend(local)

    threads = [threading.Thread(target=run) for _ in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "clients": clients,
        "requests": len(latencies),
        "errors": errors[0],
        "rps": len(latencies) / elapsed,
        "p50_ms": 1000 * statistics.median(latencies),
        "p99_ms": 1000 * latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))],
    }


def copy_rows(
    rows: list[dict[str, Any]], dyads: list[dict[str, Any]], db_uri: str, key_id: str
) -> list[tuple[Any, ...]]:
    """The batch rows as fully scored measurement columns (what the API stores), for the COPY ceiling."""
    with psycopg.connect(db_uri) as conn:
        info = {
            str(r[0]): (str(r[1]), str(r[2]), str(r[3]))
            for r in conn.execute("SELECT id, site_id, patient_id, case_manager_id FROM dyads")
        }
        sites = {str(r[0]): str(r[1]) for r in conn.execute("SELECT id, site_id FROM patients")}
    out = []
    for row in rows:
        d = get_builtin(row["instrument"])
        result = score(d, row["items"])
        cols = score_columns(result)
        rid = uuid.uuid4()
        shifted = (date.fromisoformat(row["rated_on"]) + timedelta(days=20000)).isoformat()  # no clash
        if row["type"] == "alliance_rating":
            site, patient, cm = info[row["dyad_id"]]
            dyad, kind, subj = row["dyad_id"], "alliance", row["dyad_id"]
        else:
            patient, site, cm, dyad, kind, subj = (
                row["patient_id"],
                sites[row["patient_id"]],
                None,
                None,
                "outcome",
                row["patient_id"],
            )
        nk = natural_key(
            d.kind, uuid.UUID(subj), d.code, None, date.fromisoformat(shifted), row["items"], None
        )
        out.append(
            (
                rid,
                rid,
                1,
                True,
                "active",
                kind,
                site,
                patient,
                dyad,
                cm,
                d.code,
                d.version,
                row["rater"],
                shifted,
                row["occasion"],
                json.dumps(row["items"]),
                json.dumps(cols["scores"]),
                cols["total"],
                cols["n_valid"],
                cols["prorated"],
                nk,
                key_id,
            )
        )
    return out


COPY_COLUMNS = (
    "id, record_id, version, is_current, status, kind, site_id, patient_id, dyad_id, case_manager_id, "
    "instrument_code, instrument_version, rater, rated_on, occasion, items, scores, total, n_valid, "
    "prorated, natural_key, created_by"
)


def copy_ceiling(db_uri: str, tuples: list[tuple[Any, ...]]) -> float:
    with psycopg.connect(db_uri) as conn:
        t0 = time.perf_counter()
        with conn.cursor() as cur, cur.copy(f"COPY measurements ({COPY_COLUMNS}) FROM STDIN") as copy:
            for t in tuples:
                copy.write_row(t)
        elapsed = time.perf_counter() - t0
        conn.rollback()
    return len(tuples) / elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--patients", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    db_uri = bench_database(args.database_url)
    proc, server = start_server(db_uri, free_port())
    base, key = server["base"], server["key"]
    try:
        t0 = time.perf_counter()
        dyads = load_study(base, key, args.patients)
        print(f"study: {len(dyads)} patients/dyads created in {time.perf_counter() - t0:.1f}s")
        rows = study_rows(dyads)
        h = {"Authorization": f"Bearer {key}"}
        batch_times = []
        created = 0
        with httpx.Client(base_url=base, headers=h, timeout=300) as client:
            for start in range(0, len(rows), 1000):
                chunk = rows[start : start + 1000]
                t = time.perf_counter()
                r = client.post(V1 + "/submissions", json={"rows": chunk})
                batch_times.append((len(chunk), time.perf_counter() - t))
                created += r.raise_for_status().json()["created"]
        batch_rps = sum(n for n, _ in batch_times) / sum(s for _, s in batch_times)
        print(f"batch: {created} of {len(rows)} rows created, {batch_rps:,.0f} rows/s")

        key_id = httpx.get(base + V1 + "/whoami", headers=h).json()["key_id"]
        tuples = copy_rows(rows[:10000], dyads, db_uri, key_id)
        copy_rps = max(copy_ceiling(db_uri, tuples) for _ in range(3))

        rng = random.Random(3)
        day0 = date(2030, 1, 1)

        def rating(n: int) -> tuple[str, str, Any]:
            d = dyads[n % len(dyads)]
            on = day0 + timedelta(days=n // len(dyads))
            items = {str(i): round(rng.uniform(7, 10), 1) for i in range(1, 5)}
            return (
                "POST",
                V1 + "/alliance-ratings",
                {
                    "dyad_id": d["dyad_id"],
                    "instrument": "srs",
                    "rater": "patient",
                    "rated_on": on.isoformat(),
                    "items": items,
                },
            )

        offset = [0]

        def rating_unique(n: int) -> tuple[str, str, Any]:
            return rating(n + offset[0])

        def whoami(n: int) -> tuple[str, str, Any]:
            return "GET", V1 + "/whoami", None

        single, ceiling = {}, {}
        for clients in (1, 8, 32):
            timed_requests(base, key, clients, whoami, 1.0)  # warm-up
            ceiling[clients] = timed_requests(base, key, clients, whoami, args.seconds)
            single[clients] = timed_requests(base, key, clients, rating_unique, args.seconds)
            offset[0] += single[clients]["requests"] + 64
    finally:
        proc.terminate()
        proc.wait(timeout=30)

    result = {
        "study": {"patients": len(dyads), "waves": WAVES, "rows": len(rows)},
        "batch_rows_per_s": batch_rps,
        "copy_rows_per_s": copy_rps,
        "batch_vs_copy": batch_rps / copy_rps,
        "single": {str(c): v for c, v in single.items()},
        "framework_ceiling": {str(c): v for c, v in ceiling.items()},
        "single_vs_ceiling": {str(c): single[c]["rps"] / ceiling[c]["rps"] for c in single},
        "targets": {"single_vs_ceiling_at_8": 0.5, "p99_ms_at_8": 50, "batch_vs_copy": 0.3},
    }
    out = ROOT / "bench" / "results" / "ingest.json"
    out.write_text(json.dumps(result, indent=2))
    print(f"\n{'':28}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'ceiling/s':>11}{'ratio':>8}")
    for c in (1, 8, 32):
        s, f = single[c], ceiling[c]
        print(
            f"POST /alliance-ratings x{c:<3}  {s['rps']:>10,.0f}{s['p50_ms']:>9.1f}{s['p99_ms']:>9.1f}"
            f"{f['rps']:>11,.0f}{s['rps'] / f['rps']:>8.0%}   (errors {s['errors']})"
        )
    print(
        f"POST /submissions (1000/req)  {batch_rps:>10,.0f} rows/s   COPY {copy_rps:,.0f} rows/s   "
        f"ratio {batch_rps / copy_rps:.0%} (target 30%)"
    )
    print(
        f"targets: single >= 50% of ceiling at 8 clients -> {result['single_vs_ceiling']['8']:.0%}; "
        f"p99 <= 50 ms at 8 -> {single[8]['p99_ms']:.1f} ms"
    )
    print(f"written to {out}")


if __name__ == "__main__":
    main()
