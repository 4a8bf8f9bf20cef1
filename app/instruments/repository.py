"""Instrument definitions: global reference data (not site data), so these reads need no site scope."""

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Instrument


class InstrumentRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def all(self) -> Sequence[Instrument]:
        return self.session.scalars(select(Instrument).order_by(Instrument.code, Instrument.created_at)).all()

    def exists(self, code: str, version: str) -> bool:
        stmt = select(Instrument.id).where(Instrument.code == code, Instrument.version == version)
        return self.session.scalar(stmt) is not None

    def add(self, instrument: Instrument) -> Instrument:
        self.session.add(instrument)
        self.session.flush()
        return instrument

    def get(self, code: str, version: str) -> Instrument | None:
        stmt = select(Instrument).where(Instrument.code == code, Instrument.version == version)
        return self.session.scalar(stmt)
