"""Which domain error a named database constraint stands for: the one place they are mapped."""

from collections.abc import Callable

from app.core.errors import Conflict, DomainError, FieldError, InvalidPayload


def _conflict(detail: str, pointer: str | None = None) -> Callable[[], DomainError]:
    return lambda: Conflict(detail=detail, errors=[FieldError(pointer, detail)] if pointer else [])


def _invalid(detail: str, pointer: str) -> Callable[[], DomainError]:
    return lambda: InvalidPayload(detail=detail, errors=[FieldError(pointer, detail)])


CONSTRAINT_ERRORS: dict[str, Callable[[], DomainError]] = {
    "uq_sites__code": _conflict("A site with this code already exists.", "/body/code"),
    "uq_case_managers__site_id_code": _conflict(
        "A case manager with this code already exists at the site.", "/body/code"
    ),
    "uq_patients__site_id_study_id": _conflict(
        "A patient with this study_id already exists at the site.", "/body/study_id"
    ),
    "excl_dyads__patient_period": _conflict(
        "The patient already has a dyad covering part of this period.", "/body/started_on"
    ),
    "ck_dyads__period_order": _invalid("ended_on must not be before started_on.", "/body/ended_on"),
    "ck_dyads__after_enrolment": _invalid(
        "A dyad cannot start before the patient's enrolment (enrolled_on).", "/body/started_on"
    ),
    "ck_dyads__within_employment": _invalid(
        "The dyad's period must lie within the case manager's employment (started_on..left_on).",
        "/body/started_on",
    ),
    "ck_case_managers__employment_period": _invalid(
        "left_on must not be before started_on.", "/body/left_on"
    ),
    "fk_dyads__patient_site": _invalid(
        "The patient and the case manager must belong to the same site.", "/body/patient_id"
    ),
    "fk_dyads__case_manager_site": _invalid(
        "The patient and the case manager must belong to the same site.", "/body/case_manager_id"
    ),
    "ux_measurements__natural_key": _conflict(
        "An identical measurement (subject, instrument, rater, date and answers) is already stored.",
        "/body/items",
    ),
    "ux_measurements__current": _conflict("The measurement was corrected concurrently; reload and retry."),
    "uq_measurements__record_id_version": _conflict(
        "The measurement was corrected concurrently; reload and retry."
    ),
    "ux_service_use_windows__natural_key": _conflict("An identical service-use window is already stored."),
    "ux_service_use_windows__current": _conflict("The window was corrected concurrently; reload and retry."),
    "uq_service_use_windows__record_id_version": _conflict(
        "The window was corrected concurrently; reload and retry."
    ),
    "ck_service_use_windows__window_order": _invalid(
        "window_end must not be before window_start.", "/body/window_end"
    ),
    "ck_service_use_windows__exposure": _invalid(
        "days_at_risk must lie between 0 and the window's length in days.", "/body/days_at_risk"
    ),
    "fk_measurements__instrument": _invalid("The instrument version is not registered.", "/body/instrument"),
    "uq_instruments__code_version": _conflict(
        "This instrument version is already registered.", "/body/version"
    ),
    "uq_idempotency_keys__api_key_id_key": _conflict("The Idempotency-Key is in use; retry later."),
}
