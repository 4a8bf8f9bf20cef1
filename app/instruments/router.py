from typing import Annotated

from fastapi import APIRouter, Query, status

from app.auth.principal import Admin, Reader
from app.db.engine import DbSession
from app.instruments import service
from app.instruments.definition import InstrumentDefinition, InstrumentKind
from app.instruments.schemas import DataDictionary, InstrumentRead, InstrumentSummary

router = APIRouter(prefix="/instruments", tags=["instruments"])
Version = Annotated[str | None, Query(max_length=32)]


@router.get("", response_model=list[InstrumentSummary])
def list_instruments(session: DbSession, principal: Reader, kind: InstrumentKind | None = None) -> object:
    """Every registered instrument at its latest version, with the versions that exist."""
    return service.list_(session, kind)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=InstrumentRead)
def register_instrument(data: InstrumentDefinition, session: DbSession, principal: Admin) -> object:
    """Register an instrument or a new version of one (admin). Stored definitions are never changed."""
    return service.register(session, principal, data)


@router.get("/{code}", response_model=InstrumentRead)
def get_instrument(code: str, session: DbSession, principal: Reader, version: Version = None) -> object:
    return service.get(session, code, version)


@router.get("/{code}/data-dictionary", response_model=DataDictionary)
def get_data_dictionary(code: str, session: DbSession, principal: Reader, version: Version = None) -> object:
    """The columns a CSV import needs for this instrument (wide and long layouts)."""
    return service.data_dictionary(session, code, version)
