"""Malformed input on every endpoint (issue 2), generated from the app's own OpenAPI schema.

For each operation: non-UUID path ids, ill-typed query values, impossible dates, malformed JSON, a body that
is not an object, unknown fields, wrong types and over-long strings in every top-level body field. Each is
refused with a 4xx problem+json (422 naming the offending field by JSON pointer where there is a field to
name), and never with a 500. The requests carry an admin key, so authorisation never hides validation.
"""

import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.factories import Keys, auth
from tests.security.problems import assert_problem, pointers
from tests.security.routes import route_app

SCHEMA = route_app().openapi()
OPERATIONS = [
    (method.upper(), path, operation)
    for path, item in SCHEMA["paths"].items()
    for method, operation in item.items()
    if method in {"get", "post", "put", "patch", "delete"}
]
LONG = "x" * 100_000
NOT_A_DATE = "2021-02-30"


def resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = SCHEMA["components"]["schemas"][name]
    return schema


def variants(schema: dict[str, Any]) -> list[dict[str, Any]]:
    """The alternatives of a (possibly nullable, possibly union) schema, resolved."""
    schema = resolve(schema)
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            return [v for sub in schema[key] for v in variants(sub)]
    return [schema]


def types_of(schema: dict[str, Any]) -> set[str]:
    found = set()
    for variant in variants(schema):
        kind = variant.get("type")
        if kind is None:
            found.add("object" if "properties" in variant else "any")
        else:
            found.update(kind if isinstance(kind, list) else [kind])
    return found


def formats_of(schema: dict[str, Any]) -> set[str]:
    return {v["format"] for v in variants(schema) if "format" in v}


def wrong_type(schema: dict[str, Any]) -> Any | None:
    """A JSON value that the field's schema does not allow (None when it allows anything)."""
    allowed = types_of(schema)
    if "any" in allowed:
        return None
    for value, kind in (({"unexpected": 1}, "object"), ("not-valid-here", "string"), ([1, 2], "array")):
        if kind not in allowed:
            return value
    return None


def fill(path: str, params: list[dict[str, Any]], bad: str | None = None) -> str:
    """The path with every parameter filled (a fresh UUID or a code), and parameter ``bad`` a non-UUID."""
    for param in params:
        if param["in"] != "path":
            continue
        name = param["name"]
        value = (
            "not-a-uuid"
            if name == bad
            else (str(uuid.uuid4()) if "uuid" in formats_of(param["schema"]) else "X")
        )
        path = path.replace("{" + name + "}", value)
    return path


def body_schema(operation: dict[str, Any]) -> dict[str, Any] | None:
    content = operation.get("requestBody", {}).get("content", {})
    if "application/json" not in content:
        return None
    return resolve(content["application/json"]["schema"])


def expect_422(response: Any, pointer: str | None, what: str) -> list[str]:
    """Failures (as messages) when ``response`` is not a 422 problem naming ``pointer``."""
    if response.status_code >= 500:
        return [f"{what}: {response.status_code} {response.text[:200]}"]
    try:
        assert_problem(response, 422)
    except AssertionError as exc:
        return [f"{what}: {exc}"]
    named = pointers(response)
    if pointer is not None and not any(p == pointer or p.startswith(pointer + "/") for p in named):
        return [f"{what}: expected a pointer {pointer}, got {named}"]
    return []


@pytest.mark.parametrize(
    ("method", "path", "operation"), OPERATIONS, ids=[f"{m} {p}" for m, p, _ in OPERATIONS]
)
def test_malformed_input_is_refused_with_a_problem(
    method: str, path: str, operation: dict[str, Any], client: TestClient, keys: Keys
) -> None:
    headers = auth(keys.admin)
    params = operation.get("parameters", [])
    body = body_schema(operation)
    base = fill(path, params)
    valid_body: Any = {} if body is not None else None
    failures: list[str] = []

    def send(url: str, **kwargs: Any) -> Any:
        kwargs.setdefault("json", valid_body)
        return client.request(method, url, headers={**headers, **kwargs.pop("headers", {})}, **kwargs)

    for param in params:
        name, where, schema = param["name"], param["in"], param["schema"]
        if where == "path" and "uuid" in formats_of(schema):
            failures += expect_422(
                send(fill(path, params, bad=name)), f"/path/{name}", f"non-UUID path {name}"
            )
        if where != "query":
            continue
        formats, types = formats_of(schema), types_of(schema)
        bad_values = []
        if "uuid" in formats:
            bad_values.append("not-a-uuid")
        if "date" in formats:
            bad_values.append(NOT_A_DATE)
        if "date-time" in formats:
            bad_values.append(NOT_A_DATE + "T00:00:00Z")
        if types & {"integer", "number"}:
            bad_values.append("NaN-ish")
        if types & {"string"} and not formats:
            bad_values.append(LONG[:5000])
        for value in bad_values:
            failures += expect_422(
                send(base, params={name: value}), f"/query/{name}", f"query {name}={value[:20]}"
            )

    if body is not None:
        json_headers = {"content-type": "application/json"}
        failures += expect_422(
            send(base, content=b'{"broken": ', headers=json_headers, json=None), "/body", "malformed JSON"
        )
        failures += expect_422(send(base, json=[1, 2, 3]), "/body", "a list instead of an object")
        failures += expect_422(send(base, json="text"), "/body", "a string instead of an object")
        failures += expect_422(
            send(base, json={"unexpected_field": 1}), "/body/unexpected_field", "unknown field"
        )
        for name, prop in body.get("properties", {}).items():
            wrong = wrong_type(prop)
            if wrong is not None:
                failures += expect_422(
                    send(base, json={name: wrong}), f"/body/{name}", f"wrong type for {name}"
                )
            if "string" in types_of(prop) and not any(v.get("enum") for v in variants(prop)):
                failures += expect_422(
                    send(base, json={name: LONG}), f"/body/{name}", f"100 kB string in {name}"
                )
            if "date" in formats_of(prop):
                failures += expect_422(
                    send(base, json={name: NOT_A_DATE}), f"/body/{name}", f"{NOT_A_DATE} {name}"
                )
            if "date-time" in formats_of(prop):
                when = NOT_A_DATE + "T12:00:00Z"
                failures += expect_422(send(base, json={name: when}), f"/body/{name}", f"{when} in {name}")

    assert not failures, "\n".join(failures)


def test_every_operation_with_a_body_forbids_unknown_fields() -> None:
    """Request bodies are closed (``additionalProperties: false``), so typos are refused, not ignored."""
    open_bodies = [
        f"{m} {p}"
        for m, p, op in OPERATIONS
        if (schema := body_schema(op)) is not None and schema.get("additionalProperties", True) is not False
    ]
    assert not open_bodies, open_bodies


def test_every_string_in_a_request_is_bounded() -> None:
    """Every string a client can send has a maximum length, a pattern, an enum or a format."""
    unbounded = []
    for method, path, operation in OPERATIONS:
        fields = [
            (f"query {p['name']}", p["schema"]) for p in operation.get("parameters", []) if p["in"] == "query"
        ]
        body = body_schema(operation)
        if body is not None:
            fields += [(f"body {n}", s) for n, s in body.get("properties", {}).items()]
        for name, schema in fields:
            for variant in variants(schema):
                if variant.get("type") == "string" and not (
                    {"maxLength", "pattern", "enum", "format", "const"} & set(variant)
                ):
                    unbounded.append(f"{method} {path}: {name}")
    assert not unbounded, unbounded
