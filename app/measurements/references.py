"""Resolve the patients, case managers and dyads that measurement rows name, by id or site-scoped code.

Built for batches: ``prefetch`` loads everything a list of rows names in a handful of scoped queries, then
each row resolves from memory. Errors carry pointers relative to the row (``/patient_code``).
"""

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from app.auth.principal import Principal
from app.core.errors import DomainError, FieldError, InvalidPayload, NotFound
from app.core.scoping import default_site
from app.measurements.repository import ReferenceRepository
from app.measurements.schemas import AllianceRatingCreate, OutcomeMeasureCreate, SubjectRef
from app.models import Dyad

Row = AllianceRatingCreate | OutcomeMeasureCreate


@dataclass(frozen=True)
class Subject:
    site_id: uuid.UUID
    patient_id: uuid.UUID
    case_manager_id: uuid.UUID | None
    dyad_id: uuid.UUID | None


def _missing(pointer: str, what: str) -> NotFound:
    return NotFound(detail=f"{what} not found.", errors=[FieldError(pointer, "not found")])


def _active(dyad: Dyad, on: date) -> bool:
    return dyad.started_on <= on and (dyad.ended_on is None or dyad.ended_on >= on)


class Resolver:
    def __init__(self, session: Session, principal: Principal) -> None:
        self.repo = ReferenceRepository(session, principal)
        self.principal = principal
        self.site_codes: dict[str, uuid.UUID] = {}
        self.patients: dict[uuid.UUID, uuid.UUID] = {}  # id -> site
        self.patient_codes: dict[tuple[uuid.UUID, str], uuid.UUID] = {}
        self.cms: dict[uuid.UUID, uuid.UUID] = {}
        self.cm_codes: dict[tuple[uuid.UUID, str], uuid.UUID] = {}
        self.dyads: dict[uuid.UUID, Dyad] = {}
        self.dyads_of: dict[uuid.UUID, list[Dyad]] = defaultdict(list)

    def _site(self, row: SubjectRef) -> uuid.UUID | None:
        """The site that codes are looked up in: the clinic key's own, or the one the row names."""
        given = row.site_id or (self.site_codes.get(row.site_code) if row.site_code else None)
        if given is None and row.site_code is not None:
            return None
        try:
            return default_site(self.principal, given)
        except InvalidPayload:
            return None

    def prefetch(self, rows: Sequence[SubjectRef]) -> None:
        codes = {r.site_code for r in rows if r.site_code}
        self.site_codes.update(self.repo.sites_by_code(codes) if codes else {})
        patient_ids = {r.patient_id for r in rows if r.patient_id}
        patient_codes = {(s, r.patient_code) for r in rows if r.patient_code and (s := self._site(r))}
        for id_, site, code in self.repo.patients(patient_ids, patient_codes):
            self.patients[id_] = site
            self.patient_codes[(site, code)] = id_
        cm_ids = {r.case_manager_id for r in rows if r.case_manager_id}
        cm_codes = {(s, r.case_manager_code) for r in rows if r.case_manager_code and (s := self._site(r))}
        for id_, site, code in self.repo.case_managers(cm_ids, cm_codes):
            self.cms[id_] = site
            self.cm_codes[(site, code)] = id_
        dyad_ids = {r.dyad_id for r in rows if isinstance(r, AllianceRatingCreate) and r.dyad_id}
        for dyad in self.repo.dyads(dyad_ids, set(self.patients)):
            if dyad.id not in self.dyads:
                self.dyads[dyad.id] = dyad
                self.dyads_of[dyad.patient_id].append(dyad)

    def patient(self, row: SubjectRef) -> tuple[uuid.UUID, uuid.UUID]:
        """The patient a row names (by id or site-scoped code) and the patient's site."""
        return self._patient(row)

    def _patient(self, row: SubjectRef) -> tuple[uuid.UUID, uuid.UUID]:
        if row.patient_id is not None:
            site = self.patients.get(row.patient_id)
            if site is None:
                raise _missing("/patient_id", "Patient")
            return row.patient_id, site
        site = self._site(row)
        if site is None:
            raise self._no_site(row)
        assert row.patient_code is not None
        found = self.patient_codes.get((site, row.patient_code))
        if found is None:
            raise _missing("/patient_code", "Patient")
        return found, site

    def _case_manager(self, row: SubjectRef, site: uuid.UUID) -> uuid.UUID | None:
        if row.case_manager_id is not None:
            if self.cms.get(row.case_manager_id) is None:
                raise _missing("/case_manager_id", "Case manager")
            if self.cms[row.case_manager_id] != site:
                raise InvalidPayload(
                    detail="The case manager belongs to another site than the patient.",
                    errors=[FieldError("/case_manager_id", "case manager is at another site")],
                )
            return row.case_manager_id
        if row.case_manager_code is not None:
            found = self.cm_codes.get((site, row.case_manager_code))
            if found is None:
                raise _missing("/case_manager_code", "Case manager")
            return found
        return None

    def _no_site(self, row: SubjectRef) -> DomainError:
        if row.site_code is not None:
            return _missing("/site_code", "Site")
        return InvalidPayload(
            detail="Addressing by code needs a site: use a clinic key, site_id or site_code.",
            errors=[FieldError("/site_id", "required when patient or case manager is given by code")],
        )

    def alliance(self, row: AllianceRatingCreate) -> Subject:
        if row.dyad_id is not None:
            dyad = self.dyads.get(row.dyad_id)
            if dyad is None:
                raise _missing("/dyad_id", "Dyad")
            named = row.patient_id is not None or row.patient_code is not None
            if named and self._patient(row)[0] != dyad.patient_id:
                raise InvalidPayload(
                    detail="The patient is not the dyad's patient.",
                    errors=[FieldError("/patient_id", "does not match the dyad")],
                )
            if not _active(dyad, row.rated_on):
                raise InvalidPayload(
                    detail=f"rated_on is outside the dyad's period {dyad.started_on}..{dyad.ended_on or ''}.",
                    errors=[FieldError("/rated_on", "outside the dyad's period")],
                )
            return Subject(dyad.site_id, dyad.patient_id, dyad.case_manager_id, dyad.id)
        patient_id, site = self._patient(row)
        cm = self._case_manager(row, site)
        for dyad in self.dyads_of.get(patient_id, []):
            if dyad.case_manager_id == cm and _active(dyad, row.rated_on):
                return Subject(site, patient_id, cm, dyad.id)
        raise InvalidPayload(
            detail=f"No dyad of this patient with this case manager is active on {row.rated_on.isoformat()}.",
            errors=[FieldError("/rated_on", "no active dyad of the patient and case manager on this date")],
        )

    def outcome(self, row: OutcomeMeasureCreate) -> Subject:
        patient_id, site = self._patient(row)
        cm = self._case_manager(row, site)
        dyad = next((d for d in self.dyads_of.get(patient_id, []) if _active(d, row.rated_on)), None)
        return Subject(site, patient_id, cm, dyad.id if dyad else None)
