"""``Idempotency-Key`` on any POST: a retry gets the first response back and stores nothing new.

How concurrent twins are kept to one result: the key row is inserted (``ON CONFLICT DO NOTHING``) as the first
write of the request's transaction and completed with the response just before that transaction commits. A
twin's insert blocks on the unique index until the first transaction ends: after a commit it finds the stored
response and replays it; after a rollback (the first request failed, nothing was stored) it runs itself. So a
key is only ever visible together with the writes it describes, and failed requests are not remembered.
The same key with another body (or on another endpoint) is refused with 422.
"""

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.orm import Session

from app.auth.principal import Principal
from app.core.errors import FieldError, InvalidPayload
from app.idempotency.repository import IdempotencyRepository

HEADER = "Idempotency-Key"
_VALID = re.compile(r"^[\x21-\x7e]{1,255}$")


class IdempotencyKeyReused(InvalidPayload):
    type, title = "idempotency-key-reused", "The Idempotency-Key was used for another request"


def canonical_body(body: bytes, content_type: str) -> bytes:
    if "json" in content_type:
        try:
            return json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
        except ValueError:
            return body
    return body


@dataclass
class Idempotency:
    key: str | None
    fingerprint: bytes

    def run(
        self,
        session: Session,
        principal: Principal,
        status_code: int,
        produce: Callable[[], Any],
        read: type[BaseModel] | None = None,
    ) -> Any:
        """Run ``produce`` once per key; returns its result, or a replayed ``JSONResponse``."""
        if self.key is None:
            return produce()
        repo = IdempotencyRepository(session, principal.key_id)
        claimed = repo.claim(self.key, self.fingerprint)
        if claimed is None:
            stored = repo.stored(self.key)
            if stored is None or stored.status_code is None:  # cannot happen: rows are stored complete
                raise InvalidPayload(detail="The Idempotency-Key is in use; retry later.")
            if stored.fingerprint != self.fingerprint:
                raise IdempotencyKeyReused(
                    detail="This Idempotency-Key was first used with another request body or endpoint.",
                    errors=[FieldError("/header/idempotency-key", "reused with a different request")],
                )
            return JSONResponse(
                stored.response_body, status_code=stored.status_code, headers={"Idempotent-Replayed": "true"}
            )
        result = produce()
        if isinstance(result, BaseModel):
            body = result.model_dump(mode="json")
        elif read is not None:
            body = read.model_validate(result).model_dump(mode="json")
        else:
            body = result
        repo.complete(claimed, status_code, body)
        return JSONResponse(body, status_code=status_code)


async def idempotency(request: Request) -> Idempotency:
    key = request.headers.get(HEADER)
    if key is not None and not _VALID.match(key):
        raise InvalidPayload(
            detail="Idempotency-Key must be 1-255 visible ASCII characters.",
            errors=[FieldError("/header/idempotency-key", "1-255 visible ASCII characters")],
        )
    fingerprint = b""
    if key is not None:
        body = await request.body()
        digest = hashlib.sha256(f"{request.method} {request.url.path}?{request.url.query}\n".encode())
        digest.update(canonical_body(body, request.headers.get("content-type", "")))
        fingerprint = digest.digest()
    return Idempotency(key, fingerprint)


IdempotencyDep = Annotated[Idempotency, Depends(idempotency)]
