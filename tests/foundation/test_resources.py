"""Per-endpoint tests of the foundation (issue 2): sites, case managers, patients, dyads, API keys."""

from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import Dyad
from app.models.enums import Role
from tests.factories import Keys, auth, make_case_manager, make_dyad, make_key, make_patient, make_site
from tests.security.problems import assert_problem, pointers

V1 = "/api/v1"


def _all_pages(
    client: TestClient, url: str, headers: dict[str, str], **params: Any
) -> tuple[list[dict], int]:
    """Follow ``next_cursor`` to the end; returns every item and the number of pages."""
    items: list[dict] = []
    pages, cursor = 0, None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        page = client.get(url, params=query, headers=headers)
        assert page.status_code == 200, page.text
        body = page.json()
        items += body["items"]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            return items, pages
        assert pages < 100


class TestSites:
    def test_create_get_patch_and_duplicate_code(self, client: TestClient, keys: Keys, unique: str) -> None:
        admin = auth(keys.admin)
        created = client.post(
            f"{V1}/sites", json={"code": f"BNE-{unique}", "name": "Brisbane"}, headers=admin
        )
        assert created.status_code == 201, created.text
        site = created.json()
        assert set(site) == {"id", "code", "name", "created_at"}
        assert client.get(f"{V1}/sites/{site['id']}", headers=admin).json() == site
        patched = client.patch(
            f"{V1}/sites/{site['id']}", json={"name": "Brisbane North"}, headers=admin
        ).json()
        assert (patched["name"], patched["code"]) == ("Brisbane North", f"BNE-{unique}")
        duplicate = client.post(f"{V1}/sites", json={"code": f"BNE-{unique}", "name": "again"}, headers=admin)
        assert pointers(duplicate) == ["/body/code"]
        assert_problem(duplicate, 409)

    def test_patch_refuses_null_for_required_fields(self, client: TestClient, keys: Keys) -> None:
        response = client.patch(f"{V1}/sites/{keys.site_a.id}", json={"name": None}, headers=auth(keys.admin))
        assert_problem(response, 422)
        assert pointers(response) == ["/body/name"]

    def test_list_filters_by_code(self, client: TestClient, keys: Keys) -> None:
        found = client.get(f"{V1}/sites", params={"code": keys.site_b.code}, headers=auth(keys.admin)).json()
        assert [s["id"] for s in found["items"]] == [str(keys.site_b.id)]

    def test_clinic_lists_only_its_own_site(self, client: TestClient, keys: Keys) -> None:
        found = client.get(f"{V1}/sites", headers=auth(keys.clinic_a)).json()
        assert [s["id"] for s in found["items"]] == [str(keys.site_a.id)]


class TestCaseManagers:
    def test_create_defaults_to_the_clinic_site_and_filters_by_code(
        self, client: TestClient, keys: Keys
    ) -> None:
        clinic = auth(keys.clinic_a)
        body = {"code": "CM-7", "discipline": "social_work", "started_on": "2020-02-01"}
        created = client.post(f"{V1}/case-managers", json=body, headers=clinic)
        assert created.status_code == 201, created.text
        cm = created.json()
        assert cm["site_id"] == str(keys.site_a.id)
        assert cm["left_on"] is None
        found = client.get(
            f"{V1}/case-managers", params={"site_id": str(keys.site_a.id), "code": "CM-7"}, headers=clinic
        )
        assert [c["id"] for c in found.json()["items"]] == [cm["id"]]
        again = client.post(f"{V1}/case-managers", json=body, headers=clinic)
        assert_problem(again, 409)
        other_site = client.post(f"{V1}/case-managers", json=body, headers=auth(keys.clinic_b))
        assert other_site.status_code == 201  # codes are unique within a site only

    def test_admin_must_name_a_site(self, client: TestClient, keys: Keys) -> None:
        body = {"code": "CM-8", "discipline": "nursing", "started_on": "2020-02-01"}
        response = client.post(f"{V1}/case-managers", json=body, headers=auth(keys.admin))
        assert_problem(response, 422)
        assert pointers(response) == ["/body/site_id"]

    def test_left_on_before_started_on_is_refused(self, client: TestClient, keys: Keys) -> None:
        body = {
            "site_id": str(keys.site_a.id),
            "code": "CM-9",
            "discipline": "nursing",
            "started_on": "2020-02-01",
            "left_on": "2020-01-01",
        }
        assert_problem(client.post(f"{V1}/case-managers", json=body, headers=auth(keys.admin)), 422)

    def test_patch_sets_and_clears_left_on_with_explicit_null(
        self, client: TestClient, keys: Keys, db: Session
    ) -> None:
        cm = make_case_manager(db, keys.site_a)
        db.commit()
        url, admin = f"{V1}/case-managers/{cm.id}", auth(keys.admin)
        assert (
            client.patch(url, json={"left_on": "2022-06-30"}, headers=admin).json()["left_on"] == "2022-06-30"
        )
        unchanged = client.patch(url, json={"discipline": "psychiatry"}, headers=admin).json()
        assert unchanged["left_on"] == "2022-06-30"  # absent: left as it is
        cleared = client.patch(url, json={"left_on": None}, headers=admin).json()
        assert cleared["left_on"] is None  # explicit null: cleared
        assert cleared["discipline"] == "psychiatry"
        refused = client.patch(url, json={"code": None}, headers=admin)
        assert pointers(assert_problem_and(refused, 422)) == ["/body/code"]

    def test_employment_cannot_be_shortened_past_a_dyad(
        self, client: TestClient, keys: Keys, db: Session
    ) -> None:
        cm = make_case_manager(db, keys.site_a)
        make_dyad(db, make_patient(db, keys.site_a), cm)
        db.commit()
        response = client.patch(
            f"{V1}/case-managers/{cm.id}", json={"left_on": "2021-03-01"}, headers=auth(keys.admin)
        )
        assert_problem(response, 422)
        assert pointers(response) == ["/body/started_on"]


def assert_problem_and(response: Any, status: int) -> Any:
    assert_problem(response, status)
    return response


class TestPatients:
    def test_study_id_is_generated_random_and_unique_per_site(self, client: TestClient, keys: Keys) -> None:
        clinic = auth(keys.clinic_a)
        made = [
            client.post(
                f"{V1}/patients", json={"enrolled_on": "2021-01-01", "birth_year": 1980}, headers=clinic
            ).json()
            for _ in range(5)
        ]
        study_ids = [p["study_id"] for p in made]
        assert len(set(study_ids)) == 5
        assert all(s.startswith("P-") and len(s) == 10 for s in study_ids)
        given = client.post(
            f"{V1}/patients", json={"study_id": "EXT-1", "enrolled_on": "2021-01-01"}, headers=clinic
        )
        assert given.json()["study_id"] == "EXT-1"
        duplicate = client.post(
            f"{V1}/patients", json={"study_id": "EXT-1", "enrolled_on": "2021-01-01"}, headers=clinic
        )
        assert pointers(assert_problem_and(duplicate, 409)) == ["/body/study_id"]

    def test_lookup_by_site_and_study_id(self, client: TestClient, keys: Keys, db: Session) -> None:
        patient = make_patient(db, keys.site_a, study_id="LOOK-UP")
        make_patient(db, keys.site_b, study_id="LOOK-UP")
        db.commit()
        query = {"site_id": str(keys.site_a.id), "study_id": "LOOK-UP"}
        found = client.get(f"{V1}/patients", params=query, headers=auth(keys.admin)).json()
        assert [p["id"] for p in found["items"]] == [str(patient.id)]
        both = client.get(f"{V1}/patients", params={"study_id": "LOOK-UP"}, headers=auth(keys.admin)).json()
        assert len(both["items"]) == 2
        mine = client.get(
            f"{V1}/patients", params={"study_id": "LOOK-UP"}, headers=auth(keys.clinic_a)
        ).json()
        assert [p["id"] for p in mine["items"]] == [str(patient.id)]

    def test_patch_explicit_null_clears_nullable_fields_only(
        self, client: TestClient, keys: Keys, db: Session
    ) -> None:
        patient = make_patient(db, keys.site_a, birth_year=1970, sex="male")
        db.commit()
        url, admin = f"{V1}/patients/{patient.id}", auth(keys.admin)
        cleared = client.patch(url, json={"birth_year": None}, headers=admin).json()
        assert (cleared["birth_year"], cleared["sex"]) == (None, "male")
        assert pointers(
            assert_problem_and(client.patch(url, json={"enrolled_on": None}, headers=admin), 422)
        ) == ["/body/enrolled_on"]
        assert_problem(client.patch(url, json={"study_id": "NEW"}, headers=admin), 422)  # not changeable

    def test_enrolment_cannot_move_after_a_dyad_start(
        self, client: TestClient, keys: Keys, db: Session
    ) -> None:
        patient = make_patient(db, keys.site_a)
        make_dyad(db, patient, make_case_manager(db, keys.site_a))
        db.commit()
        response = client.patch(
            f"{V1}/patients/{patient.id}", json={"enrolled_on": "2021-06-01"}, headers=auth(keys.admin)
        )
        assert_problem(response, 422)

    @pytest.mark.parametrize("path", ["/patients", "/case-managers", "/dyads", "/sites", "/api-keys"])
    def test_cursor_pagination_over_several_pages(
        self, path: str, client: TestClient, keys: Keys, db: Session
    ) -> None:
        for _ in range(7):
            site = make_site(db)
            make_dyad(db, make_patient(db, site), make_case_manager(db, site))
            make_key(db, Role.researcher)
        db.commit()
        admin = auth(keys.admin)
        everything = client.get(f"{V1}{path}", params={"limit": 500}, headers=admin).json()
        assert everything["next_cursor"] is None
        expected = [item["id"] for item in everything["items"]]
        assert len(expected) >= 7
        paged, pages = _all_pages(client, f"{V1}{path}", admin, limit=3)
        assert [item["id"] for item in paged] == expected  # same order, nothing lost or repeated
        assert pages == -(-len(expected) // 3)
        for site_filtered in ("/patients", "/case-managers", "/dyads"):
            one_site = client.get(
                f"{V1}{site_filtered}", params={"site_id": str(site.id)}, headers=admin
            ).json()
            assert {item["site_id"] for item in one_site["items"]} == {str(site.id)}

    def test_bad_cursor_and_limit(self, client: TestClient, keys: Keys) -> None:
        admin = auth(keys.admin)
        assert pointers(assert_problem_and(client.get(f"{V1}/patients?cursor=@@@", headers=admin), 422)) == [
            "/query/cursor"
        ]
        assert pointers(assert_problem_and(client.get(f"{V1}/patients?limit=0", headers=admin), 422)) == [
            "/query/limit"
        ]
        assert_problem(client.get(f"{V1}/patients?limit=501", headers=admin), 422)


class TestDyads:
    def _world(self, db: Session, keys: Keys) -> tuple[Any, Any, Any]:
        cm1 = make_case_manager(db, keys.site_a, started_on="2020-01-01")
        cm2 = make_case_manager(db, keys.site_a, started_on="2021-05-01")
        patient = make_patient(db, keys.site_a, enrolled_on="2021-01-01")
        db.commit()
        return cm1, cm2, patient

    def test_open_get_filter_and_end(self, client: TestClient, keys: Keys, db: Session) -> None:
        cm1, _, patient = self._world(db, keys)
        admin = auth(keys.admin)
        body = {"patient_id": str(patient.id), "case_manager_id": str(cm1.id), "started_on": "2021-02-01"}
        opened = client.post(f"{V1}/dyads", json=body, headers=admin)
        assert opened.status_code == 201, opened.text
        dyad = opened.json()
        assert (dyad["ended_on"], dyad["end_reason"], dyad["site_id"]) == (None, None, str(keys.site_a.id))
        assert client.get(f"{V1}/dyads/{dyad['id']}", headers=admin).json() == dyad
        for query, hit in (
            ({"patient_id": str(patient.id)}, True),
            ({"case_manager_id": str(cm1.id)}, True),
            ({"site_id": str(keys.site_b.id)}, False),
            ({"patient_id": str(patient.id), "active_on": "2021-01-31"}, False),
            ({"patient_id": str(patient.id), "active_on": "2021-02-01"}, True),
        ):
            items = client.get(f"{V1}/dyads", params=query, headers=admin).json()["items"]
            assert ([d["id"] for d in items] == [dyad["id"]]) is hit, query
        end = {"ended_on": "2021-12-31", "end_reason": "discharge"}
        ended = client.post(f"{V1}/dyads/{dyad['id']}/end", json=end, headers=admin)
        assert ended.json()["ended_on"] == "2021-12-31"
        assert ended.json()["end_reason"] == "discharge"
        assert_problem(
            client.post(f"{V1}/dyads/{dyad['id']}/end", json=end, headers=admin), 409
        )  # already ended
        after = client.get(
            f"{V1}/dyads", params={"patient_id": str(patient.id), "active_on": "2022-01-01"}, headers=admin
        )
        assert after.json()["items"] == []

    def test_end_before_start_is_refused(self, client: TestClient, keys: Keys, db: Session) -> None:
        cm1, _, patient = self._world(db, keys)
        dyad = make_dyad(db, patient, cm1)
        db.commit()
        response = client.post(
            f"{V1}/dyads/{dyad.id}/end",
            json={"ended_on": "2021-01-15", "end_reason": "other"},
            headers=auth(keys.admin),
        )
        assert pointers(assert_problem_and(response, 422)) == ["/body/ended_on"]

    @pytest.mark.parametrize(
        ("change", "pointer"),
        [
            ({"started_on": "2020-12-31"}, "/body/started_on"),  # before enrolment
            ({"case_manager": "new", "started_on": "2021-04-30"}, "/body/started_on"),  # before employment
            ({"case_manager": "leaving"}, "/body/started_on"),  # open past the case manager's last day
            (
                {"case_manager": "leaving", "ended_on": "2024-01-31", "end_reason": "other"},
                "/body/started_on",
            ),
            ({"ended_on": "2021-01-31", "end_reason": "other"}, "/body"),  # ends before it starts
            ({"ended_on": "2021-03-31"}, "/body"),  # ended_on without end_reason
        ],
    )
    def test_period_rules(
        self, change: dict[str, str], pointer: str, client: TestClient, keys: Keys, db: Session
    ) -> None:
        cm1, cm2, patient = self._world(db, keys)
        leaving = make_case_manager(db, keys.site_a, started_on="2020-01-01", left_on="2023-12-31")
        db.commit()
        change = dict(change)
        cm = {"new": cm2, "leaving": leaving}.get(change.pop("case_manager", ""), cm1)
        body = {
            "patient_id": str(patient.id),
            "case_manager_id": str(cm.id),
            "started_on": "2021-02-01",
            **change,
        }
        response = client.post(f"{V1}/dyads", json=body, headers=auth(keys.admin))
        assert_problem(response, 422)
        assert any(p.startswith(pointer) for p in pointers(response)), response.json()
        ok = {**body, "ended_on": "2023-12-31", "end_reason": "other"} if cm is leaving else None
        if ok is not None and "2024" in str(change):
            assert client.post(f"{V1}/dyads", json=ok, headers=auth(keys.admin)).status_code == 201

    def test_case_manager_of_another_site_is_refused(
        self, client: TestClient, keys: Keys, db: Session
    ) -> None:
        _, _, patient = self._world(db, keys)
        foreign = make_case_manager(db, keys.site_b)
        db.commit()
        body = {"patient_id": str(patient.id), "case_manager_id": str(foreign.id), "started_on": "2021-02-01"}
        response = client.post(f"{V1}/dyads", json=body, headers=auth(keys.admin))
        assert pointers(assert_problem_and(response, 422)) == ["/body/case_manager_id"]
        hidden = client.post(f"{V1}/dyads", json=body, headers=auth(keys.clinic_a))
        assert_problem(hidden, 404)  # a clinic cannot even learn that the case manager exists

    def test_overlap_is_409(self, client: TestClient, keys: Keys, db: Session) -> None:
        cm1, cm2, patient = self._world(db, keys)
        make_dyad(db, patient, cm1, started_on=date(2021, 2, 1))
        db.commit()
        body = {"patient_id": str(patient.id), "case_manager_id": str(cm2.id), "started_on": "2021-06-01"}
        response = client.post(f"{V1}/dyads", json=body, headers=auth(keys.admin))
        assert pointers(assert_problem_and(response, 409)) == ["/body/started_on"]


class TestTransfer:
    def test_transfer_ends_the_open_dyad_and_opens_the_next(
        self, client: TestClient, keys: Keys, db: Session
    ) -> None:
        cm1 = make_case_manager(db, keys.site_a)
        cm2 = make_case_manager(db, keys.site_a)
        patient = make_patient(db, keys.site_a)
        make_dyad(db, patient, cm1)
        db.commit()
        body = {"case_manager_id": str(cm2.id), "on": "2021-09-01", "end_reason": "case_manager_left"}
        moved = client.post(f"{V1}/patients/{patient.id}/transfer", json=body, headers=auth(keys.clinic_a))
        assert moved.status_code == 201, moved.text
        ended, started = moved.json()["ended"], moved.json()["started"]
        assert (ended["ended_on"], ended["end_reason"]) == ("2021-08-31", "case_manager_left")
        assert (started["case_manager_id"], started["started_on"], started["ended_on"]) == (
            str(cm2.id),
            "2021-09-01",
            None,
        )

    @pytest.mark.parametrize(
        ("cm_started", "cm_left", "on", "status"),
        [
            ("2022-01-01", None, "2021-09-01", 422),  # new case manager not employed yet on `on`
            ("2020-01-01", "2021-08-01", "2021-09-01", 422),  # new case manager already left
            ("2020-01-01", None, "2021-02-01", 422),  # not after the open dyad's first day
        ],
    )
    def test_failing_transfer_leaves_nothing_half_done(
        self,
        cm_started: str,
        cm_left: str | None,
        on: str,
        status: int,
        client: TestClient,
        keys: Keys,
        db: Session,
    ) -> None:
        cm1 = make_case_manager(db, keys.site_a)
        cm2 = make_case_manager(db, keys.site_a, started_on=cm_started, left_on=cm_left)
        patient = make_patient(db, keys.site_a)
        dyad = make_dyad(db, patient, cm1)
        db.commit()
        response = client.post(
            f"{V1}/patients/{patient.id}/transfer",
            json={"case_manager_id": str(cm2.id), "on": on},
            headers=auth(keys.admin),
        )
        assert_problem(response, status)
        current = client.get(
            f"{V1}/dyads", params={"patient_id": str(patient.id)}, headers=auth(keys.admin)
        ).json()
        assert [(d["id"], d["ended_on"]) for d in current["items"]] == [(str(dyad.id), None)]  # still open
        db.expire_all()
        assert db.scalar(select(func.count()).select_from(Dyad).where(Dyad.patient_id == patient.id)) == 1

    def test_transfer_without_an_open_dyad_or_to_the_same_case_manager(
        self, client: TestClient, keys: Keys, db: Session
    ) -> None:
        cm1 = make_case_manager(db, keys.site_a)
        patient = make_patient(db, keys.site_a)
        db.commit()
        url, admin = f"{V1}/patients/{patient.id}/transfer", auth(keys.admin)
        assert_problem(
            client.post(url, json={"case_manager_id": str(cm1.id), "on": "2021-09-01"}, headers=admin), 409
        )
        make_dyad(db, patient, cm1)
        db.commit()
        same = client.post(url, json={"case_manager_id": str(cm1.id), "on": "2021-09-01"}, headers=admin)
        assert pointers(assert_problem_and(same, 422)) == ["/body/case_manager_id"]


class TestApiKeys:
    def test_create_list_revoke(self, client: TestClient, keys: Keys) -> None:
        admin = auth(keys.admin)
        created = client.post(
            f"{V1}/api-keys",
            json={"label": "site A tablet", "role": "clinic", "site_id": str(keys.site_a.id)},
            headers=admin,
        )
        assert created.status_code == 201, created.text
        key = created.json()
        assert key["key"].startswith("dys_")
        assert key["prefix"] == key["key"][:12]
        assert client.get(f"{V1}/sites/{keys.site_a.id}", headers=auth(key["key"])).status_code == 200
        listed = client.get(f"{V1}/api-keys", params={"limit": 500}, headers=admin).json()["items"]
        assert key["id"] in {k["id"] for k in listed}
        assert all("key" not in k for k in listed)
        revoked = client.post(f"{V1}/api-keys/{key['id']}/revoke", headers=admin)
        assert revoked.json()["revoked_at"] is not None
        assert_problem(client.get(f"{V1}/sites/{keys.site_a.id}", headers=auth(key["key"])), 401)
        assert_problem(client.post(f"{V1}/api-keys/{key['id']}/revoke", headers=admin), 409)

    @pytest.mark.parametrize(
        "body",
        [
            {"label": "x", "role": "clinic"},  # clinic without site
            {
                "label": "x",
                "role": "admin",
                "site_id": "00000000-0000-0000-0000-000000000001",
            },  # admin with site
            {"label": "x", "role": "superuser"},
            {"label": "", "role": "admin"},
        ],
    )
    def test_invalid_keys_are_refused(self, body: dict[str, str], client: TestClient, keys: Keys) -> None:
        assert_problem(client.post(f"{V1}/api-keys", json=body, headers=auth(keys.admin)), 422)

    def test_clinic_key_for_unknown_site(self, client: TestClient, keys: Keys) -> None:
        body = {"label": "x", "role": "clinic", "site_id": "00000000-0000-0000-0000-000000000001"}
        assert_problem(client.post(f"{V1}/api-keys", json=body, headers=auth(keys.admin)), 404)

    @pytest.mark.parametrize("header", ["", "Bearer", "Bearer ", "Basic abc", "Bearer dys_unknown", "dys_x"])
    def test_malformed_authorization_is_401(self, header: str, client: TestClient) -> None:
        headers = {"Authorization": header} if header else {}
        response = client.get(f"{V1}/sites", headers=headers)
        assert_problem(response, 401)
