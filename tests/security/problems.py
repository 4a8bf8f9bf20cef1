"""Assertions shared by the security tests: every error is an RFC 9457 problem document."""

from typing import Any

import httpx

PROBLEM_MEDIA_TYPE = "application/problem+json"


def problem_errors(body: dict[str, Any]) -> list[str]:
    """What is wrong with ``body`` as a problem document (empty when it is a valid one)."""
    wrong = []
    if not isinstance(body.get("type"), str) or not body["type"]:
        wrong.append("type must be a non-empty string (a URI reference)")
    if not isinstance(body.get("title"), str) or not body["title"]:
        wrong.append("title must be a non-empty string")
    if not isinstance(body.get("status"), int):
        wrong.append("status must be an integer")
    if "detail" in body and not isinstance(body["detail"], str):
        wrong.append("detail must be a string")
    if "instance" in body and not isinstance(body["instance"], str):
        wrong.append("instance must be a string")
    errors = body.get("errors")
    if errors is not None:
        if not isinstance(errors, list) or not errors:
            wrong.append("errors must be a non-empty list when present")
        else:
            for item in errors:
                pointer = item.get("pointer") if isinstance(item, dict) else None
                if not isinstance(pointer, str) or not pointer.startswith("/"):
                    wrong.append(f"errors[] needs a JSON pointer: {item!r}")
    return wrong


def assert_problem(response: httpx.Response, status: int | None = None) -> dict[str, Any]:
    """The response is an error rendered as problem+json (with ``status``, when given); returns the body."""
    if status is not None:
        assert response.status_code == status, (response.status_code, response.text[:500])
    assert response.status_code >= 400, response.status_code
    media_type = response.headers.get("content-type", "").split(";")[0].strip()
    assert media_type == PROBLEM_MEDIA_TYPE, (media_type, response.text[:300])
    body = response.json()
    assert not problem_errors(body), (problem_errors(body), body)
    assert body["status"] == response.status_code, body
    return body


def pointers(response: httpx.Response) -> list[str]:
    return [e["pointer"] for e in response.json().get("errors", [])]
