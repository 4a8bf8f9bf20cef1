"""Shared fixtures: a real PostgreSQL database per xdist worker, built only by `alembic upgrade head`.

Without ``TEST_DATABASE_URL`` an embedded PostgreSQL 18 is started in ``.data/pg-test``. Each test runs in an
outer transaction that is rolled back (the app's session joins it through savepoints); tests marked
``commits`` use real commits and truncate afterwards. Database fixtures are lazy: tests that need no database
(the analysis library, instrument scoring) never start one.
"""

import os
import uuid
from collections.abc import Iterator

import psycopg
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session

from app.config import PROJECT_ROOT, Settings
from app.db.engine import build_engine, get_session
from app.db.migrate import upgrade
from app.db.url import start_embedded, to_psycopg_url
from app.instruments.registry import registry
from app.instruments.seed import seed_builtins
from app.main import create_app
from app.models import Base
from tests.factories import Keys, make_keys

FAST_UNSAFE_SETTINGS = ("fsync = off", "synchronous_commit = off", "full_page_writes = off")


def _server_uri() -> str:
    given = os.environ.get("TEST_DATABASE_URL")
    if given:
        return to_psycopg_url(given).set(drivername="postgresql").render_as_string(hide_password=False)
    uri = start_embedded(PROJECT_ROOT / ".data" / "pg-test")
    with psycopg.connect(uri, autocommit=True) as conn:  # throwaway server: durability is not wanted
        for setting in FAST_UNSAFE_SETTINGS:
            conn.execute(f"ALTER SYSTEM SET {setting}")
        conn.execute("SELECT pg_reload_conf()")
    return uri


@pytest.fixture(scope="session")
def server_uri() -> str:
    return _server_uri()


@pytest.fixture(scope="session")
def database_url(server_uri: str) -> Iterator[URL]:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")  # works with and without xdist
    name = f"dyadstudy_test_{worker}_{os.getpid()}"
    with psycopg.connect(server_uri, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    url = to_psycopg_url(server_uri).set(database=name)
    upgrade(url)
    yield url
    with psycopg.connect(server_uri, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def engine(database_url: URL) -> Iterator[Engine]:
    engine = build_engine(database_url, pool_size=5)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def app(database_url: URL) -> FastAPI:
    return create_app(
        Settings(database_url=None, migrate_on_start=False, log_level="WARNING", rate_limit=None),
        database_url,
    )


@pytest.fixture(scope="session")
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def db(engine: Engine, app: FastAPI) -> Iterator[Session]:
    """A session inside an outer transaction that is rolled back after the test; the app shares it."""
    connection = engine.connect()
    outer = connection.begin()
    session = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)

    def shared_session() -> Iterator[Session]:
        session.expunge_all()  # as a fresh request would: surfaces lazy loads (lazy="raise")
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise

    app.dependency_overrides[get_session] = shared_session
    yield session
    app.dependency_overrides.pop(get_session, None)
    session.close()
    outer.rollback()
    connection.close()


def truncate_all(engine: Engine) -> None:
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        # Test clean-up is not an application delete: replica mode skips the append-only triggers
        # (the test role is a superuser; the application's role never is).
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        seed_builtins(conn)  # reference data the migration seeded: the built-in instrument definitions
    registry.invalidate()


@pytest.fixture
def committed(engine: Engine, app: FastAPI) -> Iterator[Engine]:
    """For tests that need real commits across connections; every table is truncated afterwards."""
    app.dependency_overrides.pop(get_session, None)
    truncate_all(engine)
    yield engine
    truncate_all(engine)


@pytest.fixture
def keys(db: Session) -> Keys:
    made = make_keys(db)
    db.commit()  # (to a savepoint) so that a request that fails and rolls back keeps the keys
    return made


@pytest.fixture
def unique() -> str:
    return uuid.uuid4().hex[:8].upper()
