"""Fixtures for the security tests: an app instance with its own settings, sharing the test's session."""

from collections.abc import Callable, Iterator
from contextlib import ExitStack

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session

from app.config import Settings
from app.main import create_app

ClientFactory = Callable[..., TestClient]


@pytest.fixture
def client_with(app: FastAPI, database_url: URL, db: Session) -> Iterator[ClientFactory]:
    """``client_with(rate_limit="3/minute")``: a fresh app with those settings, in the test's transaction."""
    with ExitStack() as stack:

        def factory(**settings: object) -> TestClient:
            base = {
                "database_url": None,
                "migrate_on_start": False,
                "log_level": "WARNING",
                "rate_limit": None,
            }
            dedicated = create_app(Settings(**{**base, **settings}), database_url)  # type: ignore[arg-type]
            dedicated.dependency_overrides = app.dependency_overrides  # the `db` fixture's shared session
            return stack.enter_context(TestClient(dedicated, raise_server_exceptions=False))

        yield factory
