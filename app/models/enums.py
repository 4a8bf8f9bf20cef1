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
