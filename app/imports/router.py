from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from app.auth.principal import Writer
from app.core.errors import FieldError, InvalidPayload
from app.db.engine import DbSession
from app.idempotency.service import IdempotencyDep
from app.imports import service
from app.imports.layouts import Layout
from app.submissions.schemas import SubmissionResult

router = APIRouter(prefix="/imports", tags=["imports"])


async def csv_body(request: Request) -> bytes:
    """The CSV: the raw body (``text/csv``) or the ``file`` part of a multipart form."""
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        form = await request.form()
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise InvalidPayload(
                detail="Send the CSV as the form's `file` part.",
                errors=[FieldError("/body/file", "required")],
            )
        return await upload.read()
    return await request.body()


@router.post(
    "",
    response_model=SubmissionResult,
    openapi_extra={"requestBody": {"content": {"text/csv": {"schema": {"type": "string"}}}}},
    responses={
        413: {"description": "More than 5,000 administrations"},
        422: {"description": "Malformed CSV"},
    },
)
def import_csv(
    session: DbSession,
    principal: Writer,
    idem: IdempotencyDep,
    body: Annotated[bytes, Depends(csv_body)],
    layout: Layout = Layout.wide,
    instrument: Annotated[
        str | None, Query(max_length=65, pattern=r"^[a-z][a-z0-9-]{0,31}(@[A-Za-z0-9][A-Za-z0-9._-]{0,31})?$")
    ] = None,
) -> object:
    """Import a CSV in the wide or long layout (columns: GET /instruments/{code}/data-dictionary). Answers per
    administration as POST /submissions does, with the file's line numbers (`lines`)."""
    return idem.run(
        session, principal, 200, lambda: service.import_csv(session, principal, body, layout, instrument)
    )
