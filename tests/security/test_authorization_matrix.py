"""Authorisation matrix (issues 2, 6): every endpoint × every kind of caller, generated from the app's routes.

The cells are ``routes() × ROLES``: a new endpoint appears here by itself and fails until it gets an entry in
``RULES`` that states who may call it. Each cell builds a fresh world of records owned by site A (in the
rolled-back test transaction), sends one request and checks, for the caller:

- no key or a revoked key: 401 (public endpoints aside);
- admin: success;
- researcher: success for reads of sites, instruments, analyses and exports (pseudonymous), 403 for writes and
  for the operational reads of identified patient-level records (``IDENTIFIED``);
- clinic of site A: success, except 403 on admin-only endpoints;
- clinic of site B: 404 on anything addressing site A's records, lists without any of site A's data,
  403 on admin-only endpoints.

Every refusal is problem+json, discloses none of site A's data and leaves no trace (no audit event); every
allowed write leaves at least one audit event; every allowed read returns site A's data.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.instruments.builtin import get_builtin
from app.models import AuditEvent
from tests.factories import auth
from tests.security.problems import assert_problem
from tests.security.routes import routes
from tests.security.world import World, build_world


class Access(Enum):
    PUBLIC = "public"  # no key needed
    READ = "read"  # any valid key
    IDENTIFIED = "identified"  # identified patient-level records: admin and clinic keys (researchers: 403)
    WRITE = "write"  # admin and clinic keys
    ADMIN = "admin"  # admin keys only


class Target(Enum):
    NONE = "none"  # not about any site's records (a new site, the caller itself, the docs)
    ITEM = "item"  # addresses site A's records (path id or body reference): clinic B gets 404
    LIST = "list"  # a collection: clinic B gets 200 without site A's rows
    BATCH = (
        "batch"  # a batch naming site A's records: clinic B gets 200 with per-item refusals, stores nothing
    )


@dataclass(frozen=True)
class Call:
    path: str
    json: Any = None
    params: dict[str, str] = field(default_factory=dict)
    csv: str | None = None  # a text/csv body instead of JSON (imports)


@dataclass(frozen=True)
class Rule:
    access: Access
    target: Target
    request: Callable[[World], Call]
    ok: int = 200
    reveals: bool = True  # a successful answer carries site A's data (checked)
    also_ok: frozenset[int] = frozenset()  # other statuses that count as allowed (data-dependent outcomes)
    pseudonymous: bool = False  # researcher keys must not see site A's identifiers or codes either


def _r(access: Access, target: Target, request: Callable[[World], Call], ok: int = 200, **kw: Any) -> Rule:
    return Rule(access, target, request, ok, **kw)


R, W, A, P, ID = Access.READ, Access.WRITE, Access.ADMIN, Access.PUBLIC, Access.IDENTIFIED
ITEM, LIST, NONE, BATCH = Target.ITEM, Target.LIST, Target.NONE, Target.BATCH
V1 = "/api/v1"

NEW_INSTRUMENT = {**get_builtin("k10").model_dump(mode="json"), "code": "k10-matrix", "version": "1"}

RULES: dict[tuple[str, str], Rule] = {
    # operations and docs
    ("GET", "/healthz"): _r(P, NONE, lambda w: Call("/healthz"), reveals=False),
    ("GET", "/readyz"): _r(P, NONE, lambda w: Call("/readyz"), reveals=False),
    ("GET", "/openapi.json"): _r(P, NONE, lambda w: Call("/openapi.json"), reveals=False),
    ("GET", "/docs"): _r(P, NONE, lambda w: Call("/docs"), reveals=False),
    ("GET", "/docs/oauth2-redirect"): _r(P, NONE, lambda w: Call("/docs/oauth2-redirect"), reveals=False),
    ("GET", "/redoc"): _r(P, NONE, lambda w: Call("/redoc"), reveals=False),
    # sites
    ("POST", f"{V1}/sites"): _r(
        A, NONE, lambda w: Call(f"{V1}/sites", {"code": "NEW-SITE", "name": "New"}), 201, reveals=False
    ),
    ("GET", f"{V1}/sites"): _r(R, LIST, lambda w: Call(f"{V1}/sites")),
    ("GET", f"{V1}/sites/{{site_id}}"): _r(R, ITEM, lambda w: Call(f"{V1}/sites/{w.site.id}")),
    ("PATCH", f"{V1}/sites/{{site_id}}"): _r(
        A, ITEM, lambda w: Call(f"{V1}/sites/{w.site.id}", {"name": "Renamed"})
    ),
    # case managers
    ("POST", f"{V1}/case-managers"): _r(
        W,
        ITEM,
        lambda w: Call(
            f"{V1}/case-managers",
            {
                "site_id": str(w.site.id),
                "code": "CM-NEW",
                "discipline": "nursing",
                "started_on": "2020-01-01",
            },
        ),
        201,
    ),
    ("GET", f"{V1}/case-managers"): _r(ID, LIST, lambda w: Call(f"{V1}/case-managers")),
    ("GET", f"{V1}/case-managers/{{case_manager_id}}"): _r(
        ID, ITEM, lambda w: Call(f"{V1}/case-managers/{w.cm.id}")
    ),
    ("PATCH", f"{V1}/case-managers/{{case_manager_id}}"): _r(
        W, ITEM, lambda w: Call(f"{V1}/case-managers/{w.cm.id}", {"discipline": "psychology"})
    ),
    # patients
    ("POST", f"{V1}/patients"): _r(
        W,
        ITEM,
        lambda w: Call(f"{V1}/patients", {"site_id": str(w.site.id), "enrolled_on": "2021-01-01"}),
        201,
    ),
    ("GET", f"{V1}/patients"): _r(ID, LIST, lambda w: Call(f"{V1}/patients")),
    ("GET", f"{V1}/patients/{{patient_id}}"): _r(ID, ITEM, lambda w: Call(f"{V1}/patients/{w.patient.id}")),
    ("PATCH", f"{V1}/patients/{{patient_id}}"): _r(
        W, ITEM, lambda w: Call(f"{V1}/patients/{w.patient.id}", {"sex": "female"})
    ),
    ("POST", f"{V1}/patients/{{patient_id}}/transfer"): _r(
        W,
        ITEM,
        lambda w: Call(
            f"{V1}/patients/{w.patient.id}/transfer", {"case_manager_id": str(w.cm2.id), "on": "2021-06-01"}
        ),
        201,
    ),
    # consent
    ("GET", f"{V1}/patients/{{patient_id}}/consent"): _r(
        ID, ITEM, lambda w: Call(f"{V1}/patients/{w.patient.id}/consent"), reveals=False
    ),
    ("POST", f"{V1}/patients/{{patient_id}}/consent"): _r(
        W, ITEM, lambda w: Call(f"{V1}/patients/{w.patient.id}/consent", {"effective_on": "2021-01-01"}), 201
    ),
    ("POST", f"{V1}/patients/{{patient_id}}/withdrawal"): _r(
        W,
        ITEM,
        lambda w: Call(
            f"{V1}/patients/{w.patient.id}/withdrawal",
            {"level": "stop_collection", "effective_on": "2022-01-01"},
        ),
        201,
    ),
    # dyads
    ("POST", f"{V1}/dyads"): _r(
        W,
        ITEM,
        lambda w: Call(
            f"{V1}/dyads",
            {"patient_id": str(w.patient2.id), "case_manager_id": str(w.cm.id), "started_on": "2021-03-01"},
        ),
        201,
    ),
    ("GET", f"{V1}/dyads"): _r(ID, LIST, lambda w: Call(f"{V1}/dyads")),
    ("GET", f"{V1}/dyads/{{dyad_id}}"): _r(ID, ITEM, lambda w: Call(f"{V1}/dyads/{w.dyad.id}")),
    ("POST", f"{V1}/dyads/{{dyad_id}}/end"): _r(
        W,
        ITEM,
        lambda w: Call(f"{V1}/dyads/{w.dyad.id}/end", {"ended_on": "2021-12-31", "end_reason": "discharge"}),
    ),
    # API keys and the audit trail: admin only
    ("POST", f"{V1}/api-keys"): _r(
        A,
        ITEM,
        lambda w: Call(f"{V1}/api-keys", {"label": "new", "role": "clinic", "site_id": str(w.site.id)}),
        201,
    ),
    ("GET", f"{V1}/api-keys"): _r(A, LIST, lambda w: Call(f"{V1}/api-keys")),
    ("POST", f"{V1}/api-keys/{{key_id}}/revoke"): _r(
        A, ITEM, lambda w: Call(f"{V1}/api-keys/{w.spare_key_id}/revoke")
    ),
    ("GET", f"{V1}/audit-events"): _r(A, LIST, lambda w: Call(f"{V1}/audit-events", params={"limit": "500"})),
    # the caller itself
    ("GET", f"{V1}/whoami"): _r(R, NONE, lambda w: Call(f"{V1}/whoami"), reveals=False),
    # instruments: global reference data
    ("GET", f"{V1}/instruments"): _r(R, NONE, lambda w: Call(f"{V1}/instruments"), reveals=False),
    ("POST", f"{V1}/instruments"): _r(
        A, NONE, lambda w: Call(f"{V1}/instruments", NEW_INSTRUMENT), 201, reveals=False
    ),
    ("GET", f"{V1}/instruments/{{code}}"): _r(
        R, NONE, lambda w: Call(f"{V1}/instruments/honos"), reveals=False
    ),
    ("GET", f"{V1}/instruments/{{code}}/data-dictionary"): _r(
        R, NONE, lambda w: Call(f"{V1}/instruments/k10/data-dictionary"), reveals=False
    ),
    # alliance ratings and outcome measures
    ("POST", f"{V1}/alliance-ratings"): _r(
        W,
        ITEM,
        lambda w: Call(
            f"{V1}/alliance-ratings",
            {
                "dyad_id": str(w.dyad.id),
                "instrument": "srs",
                "rater": "patient",
                "rated_on": "2021-04-01",
                "items": {"1": 8, "2": 8, "3": 8, "4": 8},
            },
        ),
        201,
    ),
    ("GET", f"{V1}/alliance-ratings"): _r(ID, LIST, lambda w: Call(f"{V1}/alliance-ratings")),
    ("GET", f"{V1}/alliance-ratings/{{record_id}}"): _r(
        ID, ITEM, lambda w: Call(f"{V1}/alliance-ratings/{w.rating_id}")
    ),
    ("GET", f"{V1}/alliance-ratings/{{record_id}}/history"): _r(
        ID, ITEM, lambda w: Call(f"{V1}/alliance-ratings/{w.rating_id}/history")
    ),
    ("POST", f"{V1}/alliance-ratings/{{record_id}}/corrections"): _r(
        W,
        ITEM,
        lambda w: Call(
            f"{V1}/alliance-ratings/{w.rating_id}/corrections",
            {"items": {"1": 9, "2": 9, "3": 9, "4": 8}, "reason": "transcription"},
        ),
        201,
    ),
    ("POST", f"{V1}/outcome-measures"): _r(
        W,
        ITEM,
        lambda w: Call(
            f"{V1}/outcome-measures",
            {"patient_id": str(w.patient.id), "instrument": "gaf", "rated_on": "2021-04-01", "score": 60},
        ),
        201,
    ),
    ("GET", f"{V1}/outcome-measures"): _r(ID, LIST, lambda w: Call(f"{V1}/outcome-measures")),
    ("GET", f"{V1}/outcome-measures/{{record_id}}"): _r(
        ID, ITEM, lambda w: Call(f"{V1}/outcome-measures/{w.measure_id}")
    ),
    ("GET", f"{V1}/outcome-measures/{{record_id}}/history"): _r(
        ID, ITEM, lambda w: Call(f"{V1}/outcome-measures/{w.measure_id}/history")
    ),
    ("POST", f"{V1}/outcome-measures/{{record_id}}/corrections"): _r(
        W,
        ITEM,
        lambda w: Call(
            f"{V1}/outcome-measures/{w.measure_id}/corrections", {"score": 58, "reason": "transcription"}
        ),
        201,
    ),
    # service-use windows
    ("POST", f"{V1}/service-use"): _r(
        W,
        ITEM,
        lambda w: Call(
            f"{V1}/service-use",
            {"patient_id": str(w.patient.id), "window_start": "2021-04-01", "window_end": "2021-06-30"},
        ),
        201,
    ),
    ("GET", f"{V1}/service-use"): _r(ID, LIST, lambda w: Call(f"{V1}/service-use")),
    ("GET", f"{V1}/service-use/{{window_id}}"): _r(
        ID, ITEM, lambda w: Call(f"{V1}/service-use/{w.window_id}")
    ),
    ("GET", f"{V1}/service-use/{{window_id}}/history"): _r(
        ID, ITEM, lambda w: Call(f"{V1}/service-use/{w.window_id}/history")
    ),
    ("POST", f"{V1}/service-use/{{window_id}}/corrections"): _r(
        W,
        ITEM,
        lambda w: Call(
            f"{V1}/service-use/{w.window_id}/corrections",
            {
                "window_start": "2021-01-01",
                "window_end": "2021-03-31",
                "n_admissions": 2,
                "reason": "late data",
            },
        ),
        201,
    ),
    # the patient's timeline
    ("GET", f"{V1}/patients/{{patient_id}}/timeline"): _r(
        ID, ITEM, lambda w: Call(f"{V1}/patients/{w.patient.id}/timeline")
    ),
    # batch submissions: per-row outcomes; another site's rows fail one by one (nothing stored, nothing shown)
    # CSV imports: per-administration outcomes, like submissions
    ("POST", f"{V1}/imports"): _r(
        W,
        BATCH,
        lambda w: Call(
            f"{V1}/imports",
            params={"instrument": "gaf"},
            csv=f"patient_id,rated_on,score\n{w.patient.id},2021-05-02,62\n",
        ),
    ),
    ("POST", f"{V1}/submissions"): _r(
        W,
        BATCH,
        lambda w: Call(
            f"{V1}/submissions",
            {
                "rows": [
                    {
                        "type": "outcome_measure",
                        "patient_id": str(w.patient.id),
                        "instrument": "gaf",
                        "rated_on": "2021-05-01",
                        "score": 61,
                    }
                ]
            },
        ),
    ),
    # analyses: any key may ask (researchers too); a clinic's runs are its site's
    ("POST", f"{V1}/analyses"): _r(
        R,
        ITEM,
        lambda w: Call(f"{V1}/analyses", {"template": "T1", "filters": {"site_ids": [str(w.site.id)]}}),
        202,
        also_ok=frozenset({200, 422}),  # 422: too little data to fit (decided by the data, not by access)
        reveals=False,
    ),
    ("GET", f"{V1}/analyses"): _r(R, LIST, lambda w: Call(f"{V1}/analyses", params={"limit": "500"})),
    ("GET", f"{V1}/analyses/{{run_id}}"): _r(R, ITEM, lambda w: Call(f"{V1}/analyses/{w.run_id}")),
    ("GET", f"{V1}/analyses/{{run_id}}/dataset"): _r(
        R, ITEM, lambda w: Call(f"{V1}/analyses/{w.run_id}/dataset"), reveals=False
    ),
    # exports: researchers get de-identified data only
    ("GET", f"{V1}/exports/dictionary"): _r(
        R, NONE, lambda w: Call(f"{V1}/exports/dictionary"), reveals=False
    ),
    ("GET", f"{V1}/exports/{{name}}"): _r(
        R, LIST, lambda w: Call(f"{V1}/exports/outcome-measures"), reveals=False, pseudonymous=True
    ),
}

ROLES = ("admin", "clinic_a", "clinic_b", "researcher", "revoked", "none")
ROUTES = routes()
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def expected_status(rule: Rule, role: str) -> int:
    if rule.access is Access.PUBLIC:
        return rule.ok
    if role in ("none", "revoked"):
        return 401
    if role == "admin":
        return rule.ok
    if rule.access is Access.ADMIN:
        return 403
    if role == "researcher":
        return 403 if rule.access in (Access.WRITE, Access.IDENTIFIED) else rule.ok
    if role == "clinic_a":
        return rule.ok
    return 404 if rule.target is Target.ITEM else rule.ok  # clinic_b


def _headers(world: World, role: str) -> dict[str, str]:
    return {} if role == "none" else auth(getattr(world.keys, role))


def _audit_count(db: Session) -> int:
    return int(db.scalar(select(func.count()).select_from(AuditEvent)) or 0)


def test_every_rule_names_a_live_route() -> None:
    stale = sorted(set(RULES) - set(ROUTES))
    assert not stale, f"RULES has entries for routes that no longer exist: {stale}"


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "path"), ROUTES, ids=[f"{m} {p}" for m, p in ROUTES])
def test_cell(method: str, path: str, role: str, client: TestClient, db: Session) -> None:
    rule = RULES.get((method, path))
    if rule is None:
        pytest.fail(
            f"{method} {path} has no access rule: add it to RULES in {__name__} "
            "(who may call it, whether it addresses site-scoped records, and a request for site A's data)"
        )
    world = build_world(db)
    call = rule.request(world)
    audit_before = _audit_count(db)

    headers = _headers(world, role)
    body: dict[str, Any] = {"json": call.json}
    if call.csv is not None:
        body = {"content": call.csv.encode()}
        headers = {**headers, "content-type": "text/csv"}
    response = client.request(method, call.path, params=call.params, headers=headers, **body)

    expected = expected_status(rule, role)
    allowed = {expected} | (rule.also_ok if expected == rule.ok else set())
    assert response.status_code in allowed, (
        f"{role} {method} {call.path}: {response.status_code} {response.text}"
    )
    text = response.text
    stored_nothing = rule.target is Target.BATCH and role == "clinic_b"
    if response.status_code >= 400:
        assert_problem(response, response.status_code)
        assert _audit_count(db) == audit_before, "a refused request left an audit event"
    elif stored_nothing:
        assert _audit_count(db) == audit_before, "clinic B's rows about site A were stored"
    elif method in WRITE_METHODS and rule.access is not Access.PUBLIC:
        assert _audit_count(db) > audit_before, "an allowed write left no audit event"
    leaked = [m for m in (*world.markers, *world.site_a_ids) if m in text and m not in call.path]
    if expected >= 400 or role == "clinic_b" or (role == "researcher" and rule.pseudonymous):
        assert not leaked, f"{role} {method} {path} disclosed site A data: {leaked}"
    elif rule.reveals and method == "GET":
        assert leaked, f"{role} {method} {path} should have returned site A's data"


def test_matrix_size() -> None:
    """Reported in the issue notes: the number of cells (routes × roles)."""
    assert len(ROUTES) * len(ROLES) >= 6 * len(RULES) - 6 * len(set(RULES) - set(ROUTES))
    print(
        f"authorization matrix: {len(ROUTES)} routes x {len(ROLES)} roles = {len(ROUTES) * len(ROLES)} cells"
    )
