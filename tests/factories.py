"""Plain factory functions (no factory framework): build records through the services, in the test session."""

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from app.api_keys import service as key_service
from app.api_keys.schemas import ApiKeyCreate
from app.auth.principal import SYSTEM
from app.case_managers import service as cm_service
from app.case_managers.schemas import CaseManagerCreate
from app.dyads import service as dyad_service
from app.dyads.schemas import DyadCreate
from app.models import CaseManager, Dyad, Patient, Site
from app.models.enums import Discipline, Role
from app.patients import service as patient_service
from app.patients.schemas import PatientCreate
from app.sites import service as site_service
from app.sites.schemas import SiteCreate


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def make_site(db: Session, code: str | None = None) -> Site:
    code = code or f"S-{uuid.uuid4().hex[:6].upper()}"
    return site_service.create(db, SYSTEM, SiteCreate(code=code, name=f"Site {code}"))


def make_case_manager(db: Session, site: Site, code: str | None = None, **fields: object) -> CaseManager:
    data = {
        "site_id": site.id,
        "code": code or f"CM-{uuid.uuid4().hex[:6]}",
        "discipline": Discipline.nursing,
        "started_on": date(2020, 1, 1),
        **fields,
    }
    return cm_service.create(db, SYSTEM, CaseManagerCreate.model_validate(data))


def make_patient(db: Session, site: Site, **fields: object) -> Patient:
    data = {"site_id": site.id, "enrolled_on": date(2021, 1, 1), **fields}
    return patient_service.create(db, SYSTEM, PatientCreate.model_validate(data))


def make_dyad(db: Session, patient: Patient, cm: CaseManager, started_on: date = date(2021, 2, 1)) -> Dyad:
    return dyad_service.create(
        db, SYSTEM, DyadCreate(patient_id=patient.id, case_manager_id=cm.id, started_on=started_on)
    )


def make_key(db: Session, role: Role, site: Site | None = None, label: str = "test") -> str:
    data = ApiKeyCreate(label=label, role=role, site_id=site.id if site else None)
    return key_service.create(db, SYSTEM, data).key


@dataclass
class Keys:
    """Two sites and a key for every role, plus a revoked key."""

    site_a: Site
    site_b: Site
    admin: str
    clinic_a: str
    clinic_b: str
    researcher: str
    revoked: str


def make_keys(db: Session) -> Keys:
    site_a, site_b = make_site(db), make_site(db)
    revoked = key_service.create(db, SYSTEM, ApiKeyCreate(label="old", role=Role.admin))
    key_service.revoke(db, SYSTEM, revoked.id)
    return Keys(
        site_a=site_a,
        site_b=site_b,
        admin=make_key(db, Role.admin),
        clinic_a=make_key(db, Role.clinic, site_a),
        clinic_b=make_key(db, Role.clinic, site_b),
        researcher=make_key(db, Role.researcher),
        revoked=revoked.key,
    )
