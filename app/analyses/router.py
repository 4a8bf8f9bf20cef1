import uuid

from fastapi import APIRouter, Request, Response, status
from fastapi.responses import JSONResponse

from app.analyses import datasets, service
from app.analyses.schemas import AnalysisCreate, AnalysisRead, AnalysisSummary
from app.audit.service import record
from app.auth.principal import Reader
from app.core import disclosure
from app.core.pagination import Page, PageQuery, make_page
from app.db.engine import DbSession
from app.models.analysis_run import RunStatus
from app.models.enums import AuditAction

router = APIRouter(prefix="/analyses", tags=["analyses"])

PARQUET_TYPES = ("application/vnd.apache.parquet", "application/x-parquet")
ERRORS: dict[int | str, dict[str, object]] = {
    404: {"description": "Not found (or not visible to this key)"},
    422: {"description": "Invalid spec, or no data match it"},
}


@router.post(
    "",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=AnalysisRead,
    responses={
        200: {"model": AnalysisRead, "description": "An equal run on unchanged data (cached)"},
        **ERRORS,
    },
)
def request_analysis(data: AnalysisCreate, request: Request, session: DbSession, principal: Reader) -> object:
    """Queue a model fit. The data set is extracted and frozen now; a worker fits it. An equal request on
    unchanged data returns the existing run (200, `cached: true`) instead of fitting again."""
    run, created = service.request(session, principal, data)
    location = str(request.url_for("get_analysis", run_id=run.id))
    return JSONResponse(
        disclosure.protect(principal, run.model_dump(mode="json")),
        status_code=status.HTTP_202_ACCEPTED if created else status.HTTP_200_OK,
        headers={"Location": location},
    )


@router.get("", response_model=Page[AnalysisSummary])
def list_analyses(
    session: DbSession, principal: Reader, page: PageQuery, status: RunStatus | None = None
) -> object:
    listed = make_page(service.list_(session, principal, page, status), page, AnalysisSummary)
    items = [disclosure.protect(principal, item.model_dump(mode="json")) for item in listed.items]
    return {"items": items, "next_cursor": listed.next_cursor}


@router.get("/{run_id}", response_model=AnalysisRead, responses=ERRORS)
def get_analysis(run_id: uuid.UUID, session: DbSession, principal: Reader) -> object:
    return disclosure.protect(principal, service.get(session, principal, run_id).model_dump(mode="json"))


@router.get(
    "/{run_id}/dataset",
    responses={
        200: {"content": {"text/csv": {}, PARQUET_TYPES[0]: {}}, "description": "The run's data set"},
        **ERRORS,
    },
)
def get_analysis_dataset(
    run_id: uuid.UUID, request: Request, session: DbSession, principal: Reader
) -> Response:
    """The exact de-identified data set the run was fitted to (CSV; Parquet with `Accept`), to refit
    elsewhere. Patients who have since withdrawn with `exclude_data` are left out (count in
    `X-Excluded-Withdrawn`)."""
    ds = service.dataset(session, principal, run_id)
    parquet = any(t in request.headers.get("accept", "") for t in PARQUET_TYPES)
    body = datasets.to_parquet(ds.frame) if parquet else datasets.to_csv(ds.frame)
    extension = "parquet" if parquet else "csv"
    record(
        session,
        principal,
        AuditAction.export,
        "analysis_runs",
        run_id,
        changes={
            "what": "analysis-dataset",
            "rows": len(ds.frame),
            "format": extension,
        },
    )
    return Response(
        body,
        media_type=PARQUET_TYPES[0] if parquet else "text/csv; charset=utf-8",
        headers={
            "X-Dataset-SHA256": ds.dataset_sha256,
            "X-Excluded-Withdrawn": disclosure.header(principal, ds.n_excluded_since),
            "Content-Disposition": f'attachment; filename="analysis-{run_id}.{extension}"',
        },
    )
