"""The data dictionary: every column of every export, in the order exported."""

from enum import StrEnum

from pydantic import BaseModel


class ExportName(StrEnum):
    alliance_ratings = "alliance-ratings"
    outcome_measures = "outcome-measures"
    occasions = "occasions"


class Column(BaseModel):
    name: str
    type: str
    description: str
    identifiable_only: bool = False


class DatasetDictionary(BaseModel):
    name: ExportName
    description: str
    columns: list[Column]


PSEUDONYM = (
    "pseudonym (HMAC-SHA256 with a per-export salt; the same entity has the same pseudonym within one "
    "export only)"
)


def _ids(*names: str) -> list[Column]:
    what = {
        "site_id": "site",
        "patient_id": "patient",
        "dyad_id": "dyad (patient × case manager episode)",
        "cm_id": "case manager",
    }
    return [
        Column(name=n, type="string", description=f"{what[n]}: {PSEUDONYM}; uuid when identifiable")
        for n in names
    ]


MEASURE = [
    Column(name="instrument", type="string", description="instrument code"),
    Column(name="instrument_version", type="string", description="definition version used to score"),
    Column(name="rater", type="string", description="patient, case_manager or observer"),
    Column(name="days_since_enrolment", type="integer", description="days from the patient's enrolment"),
    Column(name="total", type="float", description="total score (current, corrected version)"),
    Column(name="n_valid", type="integer", description="items answered"),
    Column(name="prorated", type="boolean", description="total prorated for missing items"),
    Column(name="rated_on", type="date", description="date of rating", identifiable_only=True),
    Column(
        name="study_id",
        type="string",
        description="the patient's study id at the site",
        identifiable_only=True,
    ),
]

DICTIONARY: dict[ExportName, DatasetDictionary] = {
    ExportName.alliance_ratings: DatasetDictionary(
        name=ExportName.alliance_ratings,
        description="Current, active alliance ratings (one row per rating).",
        columns=[
            *_ids("site_id", "patient_id", "dyad_id", "cm_id"),
            *MEASURE[:4],
            Column(name="days_since_dyad_start", type="integer", description="days from the dyad's start"),
            *MEASURE[4:],
        ],
    ),
    ExportName.outcome_measures: DatasetDictionary(
        name=ExportName.outcome_measures,
        description="Current, active outcome measures (one row per measure).",
        columns=[*_ids("site_id", "patient_id"), *MEASURE],
    ),
    ExportName.occasions: DatasetDictionary(
        name=ExportName.occasions,
        description="The analysis frame: one row per patient-rated alliance occasion (WAI-SR), with the "
        "case manager's WAI-SR-T and the HoNOS total nearest in date within ±window days "
        "(see app/datasets/sql.py).",
        columns=[
            *_ids("site_id", "cm_id", "patient_id", "dyad_id"),
            Column(name="occasion", type="integer", description="0, 1, … within the dyad, in date order"),
            Column(name="time", type="float", description="months since the dyad started (days / 30.4375)"),
            Column(name="A_p", type="float", description="patient-rated alliance (item mean 1–5)"),
            Column(name="A_c", type="float", description="case-manager-rated alliance nearest in date (1–5)"),
            Column(
                name="y", type="float", description="outcome total nearest in date (HoNOS: higher = worse)"
            ),
            Column(name="y_gap_days", type="integer", description="outcome date minus occasion date"),
            Column(name="age", type="integer", description="age in years at the occasion, top-coded at 90"),
            Column(name="female", type="integer", description="1 female, 0 male, empty if not stated"),
            Column(name="days_since_enrolment", type="integer", description="days from enrolment"),
        ],
    ),
}
