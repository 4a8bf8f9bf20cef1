import uuid
from typing import Any, cast

from sqlalchemy import Table, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from app.models import IdempotencyKey
from app.models.base import new_id

TABLE = cast(Table, IdempotencyKey.__table__)


class IdempotencyRepository:
    """Keys belong to an API key, not a site: each caller only ever sees its own (no site scope applies)."""

    def __init__(self, session: Session, api_key_id: uuid.UUID) -> None:
        self.session = session
        self.api_key_id = api_key_id

    def claim(self, key: str, fingerprint: bytes) -> uuid.UUID | None:
        """Insert the key row; None if it exists. Blocks while a concurrent twin's transaction is open."""
        stmt = (
            insert(TABLE)
            .values(id=new_id(), api_key_id=self.api_key_id, key=key, fingerprint=fingerprint)
            .on_conflict_do_nothing(index_elements=["api_key_id", "key"])
            .returning(TABLE.c.id)
        )
        return self.session.execute(stmt).scalar()

    def stored(self, key: str) -> IdempotencyKey | None:
        stmt = select(IdempotencyKey).where(
            IdempotencyKey.api_key_id == self.api_key_id, IdempotencyKey.key == key
        )
        return self.session.scalar(stmt)

    def complete(self, id_: uuid.UUID, status_code: int, body: Any) -> None:
        stmt = update(TABLE).where(TABLE.c.id == id_).values(status_code=status_code, response_body=body)
        self.session.execute(stmt)
