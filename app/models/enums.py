"""Enumerations shared by the ORM models and the API schemas."""

from enum import StrEnum


class Role(StrEnum):
    admin = "admin"
    clinic = "clinic"
    researcher = "researcher"


class Discipline(StrEnum):
    nursing = "nursing"
    social_work = "social_work"
    occupational_therapy = "occupational_therapy"
    psychology = "psychology"
    psychiatry = "psychiatry"
    other = "other"


class Sex(StrEnum):
    female = "female"
    male = "male"
    other = "other"
    not_stated = "not_stated"


class DiagnosisGroup(StrEnum):
    psychosis = "psychosis"
    bipolar = "bipolar"
    depression = "depression"
    anxiety = "anxiety"
    personality = "personality"
    substance_use = "substance_use"
    other = "other"


class EndReason(StrEnum):
    case_manager_left = "case_manager_left"
    transfer = "transfer"
    discharge = "discharge"
    patient_request = "patient_request"
    other = "other"


class AuditAction(StrEnum):
    create = "create"
    update = "update"
    correct = "correct"
    end = "end"
    transfer = "transfer"
    consent = "consent"
    withdraw = "withdraw"
    key_create = "key_create"
    key_revoke = "key_revoke"
    export = "export"
    analysis_request = "analysis_request"


class ConsentStatus(StrEnum):
    consented = "consented"
    withdrawn = "withdrawn"


class WithdrawalLevel(StrEnum):
    """Governance §6: what a withdrawal stops. Each level includes the ones before it."""

    stop_collection = "stop_collection"  # no new data; what was collected stays in use
    stop_linkage = "stop_linkage"  # also no linkage to other data sources
    exclude_data = "exclude_data"  # also excluded from every analysis and export built afterwards


class MeasurementStatus(StrEnum):
    """A measurement version is either in force or marks the record as entered in error (a correction too)."""

    active = "active"
    entered_in_error = "entered_in_error"
