"""Model runs: extract and freeze the data set, return a cached equal run or queue a new fit."""

import hashlib
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
from pydantic import ValidationError
from sqlalchemy.orm import Session

from analysis.spec import ModelSpec
from app.analyses import datasets, queue
from app.analyses.repository import AnalysisRunRepository
from app.analyses.schemas import COVARIATES, AnalysisCreate, AnalysisRead
from app.audit.service import record
from app.auth.principal import Principal
from app.config import get_settings
from app.consent.repository import excluded_patient_ids
from app.core.errors import FieldError, InvalidPayload
from app.core.pagination import PageParams
from app.core.problems import validation_errors
from app.core.scoping import bound_site, query_sites
from app.datasets import repository as dataset_repository
from app.datasets import service as dataset_service
from app.datasets.params import ExtractionParams, InstrumentChoice
from app.datasets.sql import compile_sql
from app.instruments.definition import RaterRole
from app.models import AnalysisRun
from app.models.analysis_run import RunStatus
from app.models.enums import AuditAction


class NoData(InvalidPayload):
    type, title = "no-data", "No data match the analysis request"


def model_spec(data: AnalysisCreate) -> ModelSpec:
    options = dict(data.options)
    for fixed in ("template", "alliance_rater", "outcome"):
        if fixed in options:
            raise InvalidPayload(
                detail=f"`{fixed}` is set at the top level of the request, not in options.",
                errors=[FieldError(f"/body/options/{fixed}", "not allowed here")],
            )
    try:
        spec = ModelSpec(template=data.template, alliance_rater=data.alliance_rater, outcome="y", **options)
    except (ValidationError, TypeError) as exc:
        errors = validation_errors(exc.errors()) if isinstance(exc, ValidationError) else []
        raise InvalidPayload(
            detail="The options are not a valid model spec.",
            errors=[FieldError("/body/options" + e.pointer, e.detail) for e in errors],
        ) from None
    unknown = [c for c in spec.covariates if c not in COVARIATES]
    if unknown:
        raise InvalidPayload(
            detail=f"Unknown covariate(s) {unknown}; available: {list(COVARIATES)}.",
            errors=[FieldError("/body/options/covariates", "unknown covariate")],
        )
    return spec


def extraction_params(principal: Principal, data: AnalysisCreate) -> ExtractionParams:
    requested = tuple(data.filters.site_ids) if data.filters.site_ids is not None else None
    return ExtractionParams(
        anchor_rater=RaterRole(data.alliance_rater.value),
        alliance={
            RaterRole.PATIENT: InstrumentChoice(data.patient_alliance.code, data.patient_alliance.version),
            RaterRole.CASE_MANAGER: InstrumentChoice(
                data.case_manager_alliance.code, data.case_manager_alliance.version
            ),
        },
        outcome=InstrumentChoice(data.outcome.code, data.outcome.version),
        window_days=data.window_days if data.window_days is not None else get_settings().match_window_days,
        site_ids=query_sites(principal, requested),
        rated_from=data.filters.rated_from,
        rated_to=data.filters.rated_to,
    )


def canonical_spec(spec: ModelSpec, params: ExtractionParams) -> dict[str, Any]:
    return {
        "model": spec.to_dict(),
        "extraction": {
            "anchor_rater": params.anchor_rater.value,
            "alliance": {r.value: vars(c) for r, c in params.alliance.items()},
            "outcome": vars(params.outcome),
            "window_days": params.window_days,
            "site_ids": [str(s) for s in params.site_ids] if params.site_ids is not None else None,
            "rated_from": params.rated_from.isoformat() if params.rated_from else None,
            "rated_to": params.rated_to.isoformat() if params.rated_to else None,
        },
    }


def _hash(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()


def read(run: AnalysisRun, cached: bool = False) -> AnalysisRead:
    out = AnalysisRead.model_validate(run)
    out.cached = cached
    return out


def request(session: Session, principal: Principal, data: AnalysisCreate) -> tuple[AnalysisRead, bool]:
    """Returns the run and whether it is a new one (False: an equal run on unchanged data, from the cache)."""
    spec = model_spec(data)
    params = extraction_params(principal, data)
    canonical = canonical_spec(spec, params)
    scope_site = bound_site(principal)
    spec_hash = _hash({"spec": canonical, "scope": str(scope_site)})
    extract = dataset_service.extract(session, principal, params)
    if extract.frame.empty:
        raise NoData(
            detail="No alliance ratings match the instruments and filters (after consent exclusions)."
        )
    data_sha = datasets.fingerprint(extract.frame)
    repo = AnalysisRunRepository(session, principal)
    repo.lock_cache_key(spec_hash + data_sha)
    existing = repo.cached(spec_hash, data_sha, scope_site)
    if existing is not None:
        _audit(session, principal, existing, cached=True)
        return read(existing, cached=True), False
    key = datasets.run_key(get_settings().pseudonym_secret.get_secret_value().encode(), data_sha)
    frame, patient_keys = datasets.pseudonymise(extract.frame, key)
    run = repo.insert(
        AnalysisRun(
            status=RunStatus.queued,
            template=spec.template.value,
            spec=canonical,
            spec_hash=spec_hash,
            site_id=scope_site,
            requested_by=principal.key_id,
            requester_role=principal.role,
            dataset=datasets.to_parquet(frame),
            dataset_sha256=data_sha,
            dataset_rows=len(frame),
            patient_keys=patient_keys,
            n_excluded_withdrawn=extract.n_excluded_withdrawn,
            instrument_versions=dataset_service.instrument_versions(session, principal, params),
            seed=spec.seed,
            attempts=0,
        )
    )
    run.job_id = queue.defer_run(dataset_repository.driver_connection(session), str(run.id))
    session.flush()
    _audit(session, principal, run, cached=False)
    return read(run), True


def _audit(session: Session, principal: Principal, run: AnalysisRun, *, cached: bool) -> None:
    record(
        session,
        principal,
        AuditAction.analysis_request,
        "analysis_runs",
        run.id,
        site_id=run.site_id,
        changes={
            "template": run.template,
            "spec_hash": run.spec_hash,
            "dataset_sha256": run.dataset_sha256,
            "dataset_rows": run.dataset_rows,
            "n_excluded_withdrawn": run.n_excluded_withdrawn,
            "cached": cached,
        },
    )


def get(session: Session, principal: Principal, run_id: uuid.UUID) -> AnalysisRead:
    return read(AnalysisRunRepository(session, principal).get(run_id))


def list_(
    session: Session, principal: Principal, params: PageParams, status: RunStatus | None = None
) -> Sequence[AnalysisRun]:
    repo = AnalysisRunRepository(session, principal)
    stmt = repo.select()
    if status is not None:
        stmt = stmt.where(AnalysisRun.status == status)
    return repo.page(stmt, params)


@dataclass(frozen=True)
class RunDataset:
    frame: pd.DataFrame
    dataset_sha256: str
    n_excluded_since: int  # patients who withdrew (exclude_data) after the run: their rows are left out


def dataset(session: Session, principal: Principal, run_id: uuid.UUID) -> RunDataset:
    """The exact (de-identified) data set the run used, minus patients who have since excluded their data."""
    run = AnalysisRunRepository(session, principal).get(run_id)
    frame = datasets.from_parquet(run.dataset)
    excluded = {str(r[0]) for r in dataset_repository.rows(session, compile_sql(excluded_patient_ids()))}
    gone = [p for p, pid in run.patient_keys.items() if pid in excluded]
    if gone:
        frame = frame[~frame["patient_id"].isin(gone)].reset_index(drop=True)
    return RunDataset(frame=frame, dataset_sha256=run.dataset_sha256, n_excluded_since=len(gone))
