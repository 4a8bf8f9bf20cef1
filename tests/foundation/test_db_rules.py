"""The rules that hold in the database itself (issue 2), tested with plain SQL, bypassing the application."""

import uuid
from dataclasses import dataclass

import pytest
from psycopg import errors as pg
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from tests.factories import make_case_manager, make_patient, make_site


@dataclass
class Ids:
    site: uuid.UUID
    other_site: uuid.UUID
    patient: uuid.UUID  # enrolled 2021-01-01
    cm: uuid.UUID  # employed from 2020-01-01, open-ended
    leaving_cm: uuid.UUID  # employed 2020-01-01 .. 2021-12-31
    foreign_cm: uuid.UUID  # at the other site


@pytest.fixture
def ids(db: Session) -> Ids:
    site, other = make_site(db), make_site(db)
    made = Ids(
        site=site.id,
        other_site=other.id,
        patient=make_patient(db, site, enrolled_on="2021-01-01").id,
        cm=make_case_manager(db, site, started_on="2020-01-01").id,
        leaving_cm=make_case_manager(db, site, started_on="2020-01-01", left_on="2021-12-31").id,
        foreign_cm=make_case_manager(db, other, started_on="2020-01-01").id,
    )
    db.commit()
    return made


def insert_dyad(
    db: Session,
    ids: Ids,
    started: str,
    ended: str | None = None,
    *,
    cm: uuid.UUID | None = None,
    site: uuid.UUID | None = None,
    reason: str | None = "other",
) -> uuid.UUID:
    dyad_id = uuid.uuid4()
    db.execute(
        text(
            "INSERT INTO dyads (id, site_id, patient_id, case_manager_id, started_on, ended_on, end_reason) "
            "VALUES (:id, :site, :patient, :cm, :started, :ended, :reason)"
        ),
        {
            "id": dyad_id,
            "site": site or ids.site,
            "patient": ids.patient,
            "cm": cm or ids.cm,
            "started": started,
            "ended": ended,
            "reason": reason if ended else None,
        },
    )
    return dyad_id


@pytest.fixture
def refused(db: Session) -> type:
    """``with refused(ErrorType, "constraint_name"):`` runs SQL in a savepoint that must fail that way."""

    class Refused:
        def __init__(self, error: type[Exception], constraint: str | None = None) -> None:
            self.error, self.constraint = error, constraint

        def __enter__(self) -> None:
            self.savepoint = db.begin_nested()

        def __exit__(self, kind: type | None, exc: BaseException | None, tb: object) -> bool:
            self.savepoint.rollback()
            assert isinstance(exc, DBAPIError), f"expected {self.error.__name__}, got {exc!r}"
            assert isinstance(exc.orig, self.error), exc.orig
            assert isinstance(exc.orig, pg.Error)
            if self.constraint:
                assert exc.orig.diag.constraint_name == self.constraint, exc.orig.diag.constraint_name
            return True

    return Refused


def test_exclusion_constraint_one_dyad_per_patient_and_date(db: Session, ids: Ids, refused: type) -> None:
    insert_dyad(db, ids, "2021-02-01", "2021-05-31")
    insert_dyad(db, ids, "2021-06-01")  # adjacent: fine (ended_on is inclusive)
    with refused(pg.ExclusionViolation, "excl_dyads__patient_period"):
        insert_dyad(db, ids, "2021-05-31", "2021-05-31")  # the last day of the first one
    with refused(pg.ExclusionViolation, "excl_dyads__patient_period"):
        insert_dyad(db, ids, "2022-01-01")  # inside the open-ended second one
    with refused(pg.ExclusionViolation, "excl_dyads__patient_period"):
        insert_dyad(db, ids, "2021-01-01", "2021-02-01")


def test_same_site_composite_foreign_keys(db: Session, ids: Ids, refused: type) -> None:
    with refused(pg.ForeignKeyViolation, "fk_dyads__case_manager_site"):
        insert_dyad(db, ids, "2021-02-01", cm=ids.foreign_cm)
    with refused(pg.ForeignKeyViolation):  # both at site A, the dyad claims site B
        insert_dyad(db, ids, "2021-02-01", site=ids.other_site)


def test_period_order_and_end_reason_checks(db: Session, ids: Ids, refused: type) -> None:
    with refused(pg.CheckViolation, "ck_dyads__period_order"):
        insert_dyad(db, ids, "2021-03-01", "2021-02-01")
    with refused(pg.CheckViolation, "ck_dyads__end_reason_when_ended"):
        insert_dyad(db, ids, "2021-03-01", "2021-04-01", reason=None)


def test_employment_period_trigger(db: Session, ids: Ids, refused: type) -> None:
    with refused(pg.CheckViolation, "ck_dyads__within_employment"):
        insert_dyad(db, ids, "2021-02-01", cm=ids.leaving_cm)  # open past the case manager's last day
    with refused(pg.CheckViolation, "ck_dyads__within_employment"):
        insert_dyad(db, ids, "2021-02-01", "2022-01-01", cm=ids.leaving_cm)
    insert_dyad(db, ids, "2021-02-01", "2021-12-31", cm=ids.leaving_cm)  # the last day itself is fine
    db.execute(text("UPDATE case_managers SET started_on = '2019-01-01' WHERE id = :id"), {"id": ids.cm})
    with refused(pg.CheckViolation, "ck_dyads__within_employment"):  # an update may not strand a dyad
        db.execute(
            text("UPDATE case_managers SET left_on = '2021-06-30' WHERE id = :id"), {"id": ids.leaving_cm}
        )
    with refused(pg.CheckViolation, "ck_dyads__within_employment"):
        db.execute(
            text("UPDATE case_managers SET started_on = '2021-03-01' WHERE id = :id"), {"id": ids.leaving_cm}
        )
    with refused(pg.CheckViolation, "ck_case_managers__employment_period"):
        db.execute(text("UPDATE case_managers SET left_on = '2018-12-31' WHERE id = :id"), {"id": ids.cm})


def test_employment_starts_before_the_dyad(db: Session, ids: Ids, refused: type) -> None:
    db.execute(text("UPDATE case_managers SET started_on = '2021-03-01' WHERE id = :id"), {"id": ids.cm})
    with refused(pg.CheckViolation, "ck_dyads__within_employment"):
        insert_dyad(db, ids, "2021-02-01")


def test_enrolment_trigger(db: Session, ids: Ids, refused: type) -> None:
    with refused(pg.CheckViolation, "ck_dyads__after_enrolment"):
        insert_dyad(db, ids, "2020-12-31")
    insert_dyad(db, ids, "2021-01-01")  # the day of enrolment
    with refused(pg.CheckViolation, "ck_dyads__after_enrolment"):
        db.execute(text("UPDATE patients SET enrolled_on = '2021-01-02' WHERE id = :id"), {"id": ids.patient})
    db.execute(text("UPDATE patients SET birth_year = 1970 WHERE id = :id"), {"id": ids.patient})  # unrelated


@pytest.mark.parametrize("table", ["sites", "case_managers", "patients", "dyads", "api_keys"])
def test_nothing_is_hard_deleted(table: str, db: Session, ids: Ids, refused: type) -> None:
    insert_dyad(db, ids, "2021-02-01")
    db.execute(
        text(
            "INSERT INTO api_keys (id, label, role, key_hash, prefix) VALUES (:id, 'x', 'admin', :h, 'dys_')"
        ),
        {"id": uuid.uuid4(), "h": uuid.uuid4().bytes * 2},
    )
    with refused(pg.RestrictViolation):
        db.execute(text(f"DELETE FROM {table}"))  # noqa: S608 - fixed table names


@pytest.mark.parametrize("table", ["audit_events", "consent_events"])
def test_append_only_tables(table: str, db: Session, ids: Ids, refused: type) -> None:
    db.execute(
        text(
            "INSERT INTO consent_events (id, patient_id, site_id, status, effective_on, data_collection, "
            "linkage, future_use) VALUES (:id, :patient, :site, 'consented', '2021-01-01', true, false, "
            "false)"
        ),
        {"id": uuid.uuid4(), "patient": ids.patient, "site": ids.site},
    )
    assert db.scalar(text(f"SELECT count(*) FROM {table}"))  # noqa: S608
    column = "reason" if table == "audit_events" else "form_version"
    with refused(pg.InsufficientPrivilege):
        db.execute(text(f"UPDATE {table} SET {column} = 'tampered'"))
    with refused(pg.InsufficientPrivilege):
        db.execute(text(f"DELETE FROM {table}"))  # noqa: S608
    with refused(pg.InsufficientPrivilege):
        db.execute(text(f"TRUNCATE {table} CASCADE"))
