"""Run the extraction SQL: ``COPY (query) TO STDOUT`` straight from PostgreSQL (no per-row Python)."""

import io
from collections.abc import Iterator
from typing import Any

import psycopg
from sqlalchemy.orm import Session


def driver_connection(session: Session) -> psycopg.Connection[Any]:
    """The psycopg connection under the session's transaction (COPY joins the same snapshot)."""
    conn = session.connection().connection.driver_connection
    assert isinstance(conn, psycopg.Connection)
    return conn


SORT_MEMORY = "128MB"


def use_sort_memory(session: Session) -> None:
    """Let this transaction's big sorts and hashes (extraction, exports) run in memory instead of spilling
    to disk at the 4 MB default (``SET LOCAL``: gone at commit or rollback)."""
    driver_connection(session).execute(f"SET LOCAL work_mem = '{SORT_MEMORY}'")  # type: ignore[arg-type]


def copy_chunks(session: Session, query: str, fmt: str = "csv") -> Iterator[bytes]:
    """Stream the result of ``query`` as CSV (with header) in the chunks PostgreSQL sends."""
    options = "FORMAT csv, HEADER true" if fmt == "csv" else "FORMAT text"
    with (
        driver_connection(session).cursor() as cur,
        cur.copy(f"COPY ({query}) TO STDOUT ({options})") as copy,
    ):
        for chunk in copy:
            yield bytes(chunk)


def copy_all(session: Session, query: str) -> bytes:
    buf = io.BytesIO()
    for chunk in copy_chunks(session, query):
        buf.write(chunk)
    return buf.getvalue()


def scalar(session: Session, query: str) -> Any:
    row = driver_connection(session).execute(query).fetchone()  # type: ignore[arg-type]
    return row[0] if row else None


def rows(session: Session, query: str) -> list[tuple[Any, ...]]:
    return driver_connection(session).execute(query).fetchall()  # type: ignore[arg-type]
