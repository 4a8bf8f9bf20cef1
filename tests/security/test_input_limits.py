"""Input limits (issue 6): oversized bodies get 413 and per-key rate limits get 429 with Retry-After."""

import json
import uuid
from collections.abc import Iterator

import pytest

from app.config import Settings
from tests.factories import Keys, auth
from tests.security.conftest import ClientFactory
from tests.security.problems import assert_problem

LIMIT = 1024


def _site_body(size: int) -> bytes:
    body = json.dumps({"code": "BIG", "name": "x" * size}).encode()
    return body


def _chunks(body: bytes, size: int = 256) -> Iterator[bytes]:
    for start in range(0, len(body), size):
        yield body[start : start + size]


class TestBodySize:
    def test_declared_content_length_over_the_limit_is_413(
        self, client_with: ClientFactory, keys: Keys
    ) -> None:
        client = client_with(max_body_bytes=LIMIT)
        body = _site_body(LIMIT * 4)
        response = client.post(
            "/api/v1/sites", content=body, headers={**auth(keys.admin), "content-type": "application/json"}
        )
        problem = assert_problem(response, 413)
        assert problem["type"].endswith("/payload-too-large")
        assert response.headers["x-request-id"]

    def test_chunked_body_over_the_limit_is_413(self, client_with: ClientFactory, keys: Keys) -> None:
        """No Content-Length: the limit is enforced while the body streams in (not a 400 or a 500)."""
        client = client_with(max_body_bytes=LIMIT)
        response = client.post(
            "/api/v1/sites",
            content=_chunks(_site_body(LIMIT * 4)),
            headers={**auth(keys.admin), "content-type": "application/json"},
        )
        assert "content-length" not in response.request.headers
        assert response.request.headers["transfer-encoding"] == "chunked"
        assert_problem(response, 413)
        assert client.get("/api/v1/sites?code=BIG", headers=auth(keys.admin)).json()["items"] == []

    def test_body_within_the_limit_passes_both_ways(self, client_with: ClientFactory, keys: Keys) -> None:
        client = client_with(max_body_bytes=LIMIT)
        headers = {**auth(keys.admin), "content-type": "application/json"}
        small = json.dumps({"code": "SMALL-1", "name": "small"}).encode()
        assert client.post("/api/v1/sites", content=small, headers=headers).status_code == 201
        small = json.dumps({"code": "SMALL-2", "name": "small"}).encode()
        assert client.post("/api/v1/sites", content=_chunks(small, 8), headers=headers).status_code == 201

    def test_oversized_body_without_a_key_is_still_413(self, client_with: ClientFactory) -> None:
        client = client_with(max_body_bytes=LIMIT)
        assert_problem(client.post("/api/v1/sites", content=_site_body(LIMIT * 2)), 413)


class TestRateLimit:
    def test_default_and_environment(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.delenv("DYADSTUDY_RATE_LIMIT", raising=False)
        assert Settings(_env_file=None).rate_limit == "600/minute"  # type: ignore[call-arg]
        monkeypatch.setenv("DYADSTUDY_RATE_LIMIT", "5/second")
        assert Settings(_env_file=None).rate_limit == "5/second"  # type: ignore[call-arg]

    def test_a_key_over_its_limit_gets_429_with_retry_after(
        self, client_with: ClientFactory, keys: Keys
    ) -> None:
        client = client_with(rate_limit="3/minute")
        for _ in range(3):
            assert client.get("/api/v1/sites", headers=auth(keys.admin)).status_code == 200
        refused = client.get("/api/v1/sites", headers=auth(keys.admin))
        problem = assert_problem(refused, 429)
        assert problem["type"].endswith("/rate-limited")
        assert 1 <= int(refused.headers["retry-after"]) <= 60
        assert refused.headers["x-request-id"]
        # Writes are refused too, before they reach the database.
        assert_problem(
            client.post("/api/v1/sites", json={"code": "X", "name": "x"}, headers=auth(keys.admin)), 429
        )

    def test_limits_are_per_key(self, client_with: ClientFactory, keys: Keys) -> None:
        client = client_with(rate_limit="2/minute")
        for _ in range(2):
            assert client.get("/api/v1/sites", headers=auth(keys.clinic_a)).status_code == 200
        assert_problem(client.get("/api/v1/sites", headers=auth(keys.clinic_a)), 429)
        assert client.get("/api/v1/sites", headers=auth(keys.clinic_b)).status_code == 200
        assert client.get("/api/v1/sites", headers=auth(keys.researcher)).status_code == 200

    def test_requests_without_a_key_are_limited_by_address(self, client_with: ClientFactory) -> None:
        client = client_with(rate_limit="2/minute")
        for _ in range(2):
            assert_problem(client.get("/api/v1/sites"), 401)
        assert_problem(client.get("/api/v1/sites"), 429)

    def test_cycling_made_up_keys_does_not_escape_the_limit(
        self, client_with: ClientFactory, keys: Keys
    ) -> None:
        client = client_with(rate_limit="3/minute")
        for _ in range(3):
            assert_problem(client.get("/api/v1/sites", headers=auth(f"dys_{uuid.uuid4().hex}")), 401)
        assert_problem(client.get("/api/v1/sites", headers=auth(f"dys_{uuid.uuid4().hex}")), 429)

    def test_probes_and_docs_are_not_limited(self, client_with: ClientFactory) -> None:
        client = client_with(rate_limit="1/minute")
        for _ in range(3):
            assert client.get("/healthz").status_code == 200
            assert client.get("/openapi.json").status_code == 200

    def test_off_when_empty(self, client_with: ClientFactory, keys: Keys) -> None:
        client = client_with(rate_limit="")
        for _ in range(20):
            assert client.get("/api/v1/sites", headers=auth(keys.admin)).status_code == 200
