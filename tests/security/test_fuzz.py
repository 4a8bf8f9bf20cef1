"""Fuzzing (issue 6): schemathesis against the app's own OpenAPI schema, in-process (ASGI), with an admin key.

Bounded budget (``MAX_EXAMPLES`` per operation, both valid and invalid data; no deadline) so that CI stays
fast. Asserted for every generated request: no 5xx; every 4xx is valid problem+json; every 2xx body matches
the schema the operation declares; data that breaks the schema is refused. The schema itself must validate
against the OpenAPI meta-schema.
"""

import warnings
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.python.asgi import get_client
from schemathesis.specs.openapi.checks import negative_data_rejection, response_schema_conformance
from sqlalchemy.orm import Session

from tests.factories import Keys, auth
from tests.security.problems import problem_errors
from tests.security.routes import route_app

MAX_EXAMPLES = 25  # per operation and generation mode (valid and invalid data)
CASES: dict[str, int] = {}
KNOWN_FAILURES: dict[str, int] = {}
# Operations with a reported, not yet fixed bug: still fuzzed, but their failures are counted and shown (a
# warning each, and a line at the end of the module) instead of failing the run. Drop the entry with the fix.
KNOWN_BUGS: dict[str, str] = {}


# The schema of the app as production builds it; requests go to the test app (same routes) in-process.
schema = schemathesis.openapi.from_dict(route_app().openapi())


@pytest.fixture
def asgi(app: FastAPI, client: TestClient, db: Session) -> Any:
    """An in-process HTTP session on the test app (``client`` ran its lifespan; ``db`` rolls it all back)."""
    return get_client(app)  # type: ignore[arg-type]


@pytest.fixture(scope="module", autouse=True)
def _report() -> Iterator[None]:
    yield
    print(
        f"\nfuzz: {sum(CASES.values())} cases over {len(CASES)} operations; "
        f"known-bug failures: {KNOWN_FAILURES}"
    )


def test_openapi_schema_is_valid(client: TestClient) -> None:
    served = client.get("/openapi.json").json()
    schemathesis.openapi.from_dict(served).validate()  # raises on any violation of the OpenAPI meta-schema
    assert served["openapi"].startswith("3.")
    assert served == route_app().openapi()  # the schema fuzzed below is the one the app serves


# Explicit parametrisation (one test per operation and generation mode, each with its own id): the items
# schemathesis' `schema.parametrize()` makes all share one node id, which pytest-xdist runs only once.
OPERATIONS = [result.ok() for result in schema.get_all_operations() if isinstance(result, Ok)]


@pytest.mark.parametrize("mode", list(GenerationMode), ids=lambda m: m.value)
@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: op.label)
def test_fuzz(operation: Any, mode: GenerationMode, asgi: Any, keys: Keys) -> None:
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: Any) -> None:
        label = case.operation.label
        CASES[label] = CASES.get(label, 0) + 1
        try:
            check(case, asgi, keys)
        except (Exception, BaseExceptionGroup) as exc:  # schemathesis reports a group of failures
            if label not in KNOWN_BUGS:
                raise
            KNOWN_FAILURES[label] = KNOWN_FAILURES.get(label, 0) + 1  # reported; see the module teardown
            warnings.warn(f"{label}: known bug ({KNOWN_BUGS[label]}): {type(exc).__name__}", stacklevel=1)

    try:
        run()
    except Unsatisfiable:
        pytest.skip(f"{operation.label} takes no input that can be invalid")


def check(case: Any, asgi: Any, keys: Keys) -> None:
    response = case.call_and_validate(
        session=asgi,
        base_url="http://testserver",
        headers=auth(keys.admin),
        checks=[not_a_server_error, response_schema_conformance, negative_data_rejection],
    )
    if 400 <= response.status_code < 500:
        media_type = response.headers.get("content-type", [""])
        media_type = (media_type[0] if isinstance(media_type, list) else media_type).split(";")[0]
        assert media_type == "application/problem+json", (
            response.status_code,
            media_type,
            response.text[:300],
        )
        body = response.json()
        assert not problem_errors(body), (problem_errors(body), body)
        assert body["status"] == response.status_code
