"""Audit trail and consent (issues 2 and 6): one event per change with old and new values, append-only and
hash-chained (tampering is detected), the admin read endpoint with its filters, and withdrawal escalation."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from app.audit.queries import verify
from app.auth.principal import SYSTEM, hash_key
from app.models import ApiKey, AuditEvent
from tests.factories import Keys, auth, make_case_manager, make_dyad, make_patient
from tests.security.problems import assert_problem

V1 = "/api/v1"


def _last_seq(db: Session) -> int:
    return int(db.scalar(select(func.coalesce(func.max(AuditEvent.seq), 0))) or 0)


def _events_since(db: Session, seq: int) -> list[AuditEvent]:
    db.expire_all()
    return list(db.scalars(select(AuditEvent).where(AuditEvent.seq > seq).order_by(AuditEvent.seq)))


def _key_id(db: Session, key: str) -> Any:
    return db.scalar(select(ApiKey.id).where(ApiKey.key_hash == hash_key(key)))


def test_every_change_writes_one_audit_event_with_old_and_new_values(
    client: TestClient, keys: Keys, db: Session
) -> None:
    admin, clinic = auth(keys.admin), auth(keys.clinic_a)
    admin_id, clinic_id = _key_id(db, keys.admin), _key_id(db, keys.clinic_a)
    state: dict[str, Any] = {}

    def step(
        call: Callable[[], Any], action: str, entity: str, changes: dict[str, Any], actor: Any = clinic_id
    ) -> dict[str, Any]:
        before = _last_seq(db)
        response = call()
        assert response.status_code in (200, 201), response.text
        events = _events_since(db, before)
        assert [(e.action.value, e.entity) for e in events] == [(action, entity)], events
        event = events[0]
        assert event.actor_key_id == actor
        assert event.request_id == response.headers["x-request-id"]
        assert event.occurred_at.tzinfo is not None
        for field, (old, new) in changes.items():
            assert event.changes[field] == {"old": old, "new": new}, (field, event.changes)
        body: dict[str, Any] = response.json()
        return body

    site = step(
        lambda: client.post(f"{V1}/sites", json={"code": "AUD-1", "name": "Audit"}, headers=admin),
        "create",
        "sites",
        {"code": (None, "AUD-1"), "name": (None, "Audit")},
        actor=admin_id,
    )
    step(
        lambda: client.patch(f"{V1}/sites/{site['id']}", json={"name": "Audited"}, headers=admin),
        "update",
        "sites",
        {"name": ("Audit", "Audited")},
        actor=admin_id,
    )
    cm = step(
        lambda: client.post(
            f"{V1}/case-managers",
            json={"code": "A1", "discipline": "nursing", "started_on": "2020-01-01"},
            headers=clinic,
        ),
        "create",
        "case_managers",
        {"code": (None, "A1"), "started_on": (None, "2020-01-01")},
    )
    step(
        lambda: client.patch(
            f"{V1}/case-managers/{cm['id']}", json={"discipline": "psychology"}, headers=clinic
        ),
        "update",
        "case_managers",
        {"discipline": ("nursing", "psychology")},
    )
    state["cm2"] = make_case_manager(db, keys.site_a)
    db.commit()
    patient = step(
        lambda: client.post(
            f"{V1}/patients", json={"enrolled_on": "2021-01-01", "birth_year": 1950}, headers=clinic
        ),
        "create",
        "patients",
        {"birth_year": (None, 1950), "enrolled_on": (None, "2021-01-01")},
    )
    step(
        lambda: client.patch(f"{V1}/patients/{patient['id']}", json={"birth_year": None}, headers=clinic),
        "update",
        "patients",
        {"birth_year": (1950, None)},
    )
    dyad_body = {"patient_id": patient["id"], "case_manager_id": cm["id"], "started_on": "2021-02-01"}
    dyad = step(
        lambda: client.post(f"{V1}/dyads", json=dyad_body, headers=clinic),
        "create",
        "dyads",
        {"started_on": (None, "2021-02-01")},
    )
    step(
        lambda: client.post(
            f"{V1}/dyads/{dyad['id']}/end",
            json={"ended_on": "2021-03-31", "end_reason": "other"},
            headers=clinic,
        ),
        "end",
        "dyads",
        {"ended_on": (None, "2021-03-31"), "end_reason": (None, "other")},
    )
    second = client.post(f"{V1}/dyads", json={**dyad_body, "started_on": "2021-04-01"}, headers=clinic).json()
    before = _last_seq(db)
    moved = client.post(
        f"{V1}/patients/{patient['id']}/transfer",
        json={"case_manager_id": str(state["cm2"].id), "on": "2021-09-01"},
        headers=clinic,
    )
    assert moved.status_code == 201, moved.text
    transfer_events = _events_since(db, before)
    assert [(e.action.value, e.entity, str(e.entity_id)) for e in transfer_events] == [
        ("transfer", "dyads", second["id"]),
        ("create", "dyads", moved.json()["started"]["id"]),
    ]
    assert transfer_events[0].changes["ended_on"] == {"old": None, "new": "2021-08-31"}
    assert len({e.request_id for e in transfer_events}) == 1  # one request, one transaction
    key = step(
        lambda: client.post(f"{V1}/api-keys", json={"label": "audited", "role": "researcher"}, headers=admin),
        "key_create",
        "api_keys",
        {"label": (None, "audited"), "role": (None, "researcher")},
        actor=admin_id,
    )
    revoke = step(
        lambda: client.post(f"{V1}/api-keys/{key['id']}/revoke", headers=admin),
        "key_revoke",
        "api_keys",
        {},
        actor=admin_id,
    )
    assert revoke["revoked_at"] is not None
    step(
        lambda: client.post(
            f"{V1}/patients/{patient['id']}/consent", json={"effective_on": "2021-01-01"}, headers=clinic
        ),
        "consent",
        "consent_events",
        {"status": (None, "consented")},
    )
    step(
        lambda: client.post(
            f"{V1}/patients/{patient['id']}/withdrawal",
            json={"level": "stop_linkage", "effective_on": "2022-01-01", "reason": "asked"},
            headers=clinic,
        ),
        "withdraw",
        "consent_events",
        {"withdrawal_level": (None, "stop_linkage")},
    )


def test_refused_and_failed_requests_write_no_audit_event(
    client: TestClient, keys: Keys, db: Session
) -> None:
    before = _last_seq(db)
    assert_problem(
        client.post(f"{V1}/sites", json={"code": "X", "name": "x"}, headers=auth(keys.clinic_a)), 403
    )
    assert_problem(
        client.post(f"{V1}/sites", json={"code": keys.site_a.code, "name": "dup"}, headers=auth(keys.admin)),
        409,
    )
    assert_problem(
        client.patch(f"{V1}/patients/{keys.site_a.id}", json={"sex": "male"}, headers=auth(keys.admin)), 404
    )
    assert _events_since(db, before) == []


class TestTamperEvidence:
    def _tamper(self, db: Session, sql: str, **params: Any) -> None:
        """As a superuser could: switch the append-only trigger off for a statement (rolled back later)."""
        db.execute(text("ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only"))
        db.execute(text(sql), params)
        db.execute(text("ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only"))

    @pytest.fixture
    def chain(self, db: Session, keys: Keys) -> list[int]:
        patient = make_patient(db, keys.site_a)
        make_dyad(db, patient, make_case_manager(db, keys.site_a))
        db.commit()
        report = verify(db, SYSTEM)
        assert report.intact, report.broken_at
        assert report.events >= 5
        return [e.seq for e in db.scalars(select(AuditEvent).order_by(AuditEvent.seq)) if e.seq is not None]

    def test_a_modified_event_is_detected(self, db: Session, chain: list[int]) -> None:
        target = chain[len(chain) // 2]
        self._tamper(db, "UPDATE audit_events SET changes = '{}'::jsonb WHERE seq = :seq", seq=target)
        assert verify(db, SYSTEM).broken_at == [target]

    def test_a_removed_event_is_detected(self, db: Session, chain: list[int]) -> None:
        target = chain[len(chain) // 2]
        self._tamper(db, "DELETE FROM audit_events WHERE seq = :seq", seq=target)
        assert verify(db, SYSTEM).broken_at == [chain[chain.index(target) + 1]]

    def test_a_rehashed_event_still_breaks_the_next_link(self, db: Session, chain: list[int]) -> None:
        target = chain[len(chain) // 2]
        self._tamper(db, "UPDATE audit_events SET reason = 'forged' WHERE seq = :seq", seq=target)
        rehash = "UPDATE audit_events SET hash = audit_event_digest(audit_events, prev_hash) WHERE seq = :seq"
        self._tamper(db, rehash, seq=target)
        broken = verify(db, SYSTEM).broken_at
        assert broken, "a rehashed row must break the link of the row after it"
        assert target not in broken  # its own digest is consistent...
        assert chain[chain.index(target) + 1] in broken  # ...but the next event no longer points to it


class TestAuditEventsEndpoint:
    def test_filters_and_pagination(self, client: TestClient, keys: Keys, db: Session) -> None:
        patient = make_patient(db, keys.site_a)
        db.commit()
        admin = auth(keys.admin)
        clinic_id = _key_id(db, keys.clinic_a)
        for year in (1960, 1961, 1962):
            assert client.patch(
                f"{V1}/patients/{patient.id}", json={"birth_year": year}, headers=auth(keys.clinic_a)
            ).is_success
        by_entity = client.get(
            f"{V1}/audit-events", params={"entity": "patients", "entity_id": str(patient.id)}, headers=admin
        ).json()["items"]
        assert [e["action"] for e in by_entity] == ["create", "update", "update", "update"]
        assert by_entity[-1]["changes"] == {"birth_year": {"old": 1961, "new": 1962}}
        by_actor = client.get(
            f"{V1}/audit-events", params={"actor_key_id": str(clinic_id)}, headers=admin
        ).json()
        assert len(by_actor["items"]) == 3
        assert {e["actor_role"] for e in by_actor["items"]} == {"clinic"}
        assert {e["actor_site_id"] for e in by_actor["items"]} == {str(keys.site_a.id)}
        now = datetime.now(UTC)
        window = {
            "since": (now - timedelta(minutes=10)).isoformat(),
            "until": (now + timedelta(minutes=10)).isoformat(),
        }
        assert (
            len(
                client.get(
                    f"{V1}/audit-events", params={**window, "entity": "patients"}, headers=admin
                ).json()["items"]
            )
            >= 4
        )
        future = {"since": (now + timedelta(days=1)).isoformat()}
        assert client.get(f"{V1}/audit-events", params=future, headers=admin).json()["items"] == []
        first = client.get(
            f"{V1}/audit-events", params={"entity": "patients", "limit": 2}, headers=admin
        ).json()
        rest = client.get(
            f"{V1}/audit-events",
            params={"entity": "patients", "limit": 500, "cursor": first["next_cursor"]},
            headers=admin,
        ).json()
        everything = client.get(
            f"{V1}/audit-events", params={"entity": "patients", "limit": 500}, headers=admin
        ).json()
        assert [e["id"] for e in first["items"] + rest["items"]] == [e["id"] for e in everything["items"]]


class TestConsent:
    def test_withdrawal_levels_only_escalate(self, client: TestClient, keys: Keys, db: Session) -> None:
        patient = make_patient(db, keys.site_a)
        db.commit()
        url, clinic = f"{V1}/patients/{patient.id}", auth(keys.clinic_a)
        given = client.post(
            f"{url}/consent",
            json={"effective_on": "2021-01-01", "linkage": True, "future_use": True},
            headers=clinic,
        )
        assert given.status_code == 201, given.text

        def withdraw(level: str) -> Any:
            return client.post(
                f"{url}/withdrawal", json={"level": level, "effective_on": "2022-01-01"}, headers=clinic
            )

        first = withdraw("stop_collection").json()
        assert (first["data_collection"], first["linkage"], first["future_use"]) == (False, True, True)
        assert_problem(withdraw("stop_collection"), 409)  # same level again
        second = withdraw("stop_linkage").json()
        assert (second["linkage"], second["future_use"]) == (False, True)
        assert_problem(withdraw("stop_collection"), 409)  # a lower level
        third = withdraw("exclude_data").json()
        assert (third["withdrawal_level"], third["future_use"]) == ("exclude_data", False)
        for level in ("stop_collection", "stop_linkage", "exclude_data"):
            assert_problem(withdraw(level), 409)
        assert_problem(
            client.post(f"{url}/consent", json={"effective_on": "2023-01-01"}, headers=clinic), 409
        )
        state = client.get(f"{url}/consent", headers=clinic).json()
        assert state["current"]["withdrawal_level"] == "exclude_data"
        assert [e["withdrawal_level"] for e in state["history"]] == [
            "exclude_data",
            "stop_linkage",
            "stop_collection",
            None,
        ]

    def test_unknown_level_is_422(self, client: TestClient, keys: Keys, db: Session) -> None:
        patient = make_patient(db, keys.site_a)
        db.commit()
        response = client.post(
            f"{V1}/patients/{patient.id}/withdrawal",
            json={"level": "delete_everything", "effective_on": "2022-01-01"},
            headers=auth(keys.admin),
        )
        assert_problem(response, 422)
