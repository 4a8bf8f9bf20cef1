"""Who is calling: the API key's identity, resolved once per request."""

import hashlib
import uuid
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import select

from app.core.errors import Forbidden, Unauthorized
from app.db.engine import DbSession
from app.models import ApiKey
from app.models.enums import Role


@dataclass(frozen=True)
class Principal:
    key_id: uuid.UUID
    role: Role
    site_id: uuid.UUID | None  # set for clinic keys only

    @property
    def can_write(self) -> bool:
        return self.role in (Role.admin, Role.clinic)

    @property
    def identified(self) -> bool:
        """May see identified, patient-level records (real dates, study ids, codes); researchers may not."""
        return self.role in (Role.admin, Role.clinic)


def hash_key(key: str) -> bytes:
    """Keys carry 256 random bits, so a fast unsalted digest is enough (no password-style stretching)."""
    return hashlib.sha256(key.encode()).digest()


def get_principal(request: Request, session: DbSession) -> Principal:
    header = request.headers.get("authorization", "")
    scheme, _, key = header.partition(" ")
    if scheme.lower() != "bearer" or not key:
        raise Unauthorized(detail="Send `Authorization: Bearer <api key>`.")
    row = session.execute(
        select(ApiKey.id, ApiKey.role, ApiKey.site_id).where(
            ApiKey.key_hash == hash_key(key.strip()), ApiKey.revoked_at.is_(None)
        )
    ).first()
    if row is None:
        raise Unauthorized(detail="The API key is unknown or revoked.")
    principal = Principal(key_id=row.id, role=row.role, site_id=row.site_id)
    request.state.principal = principal
    return principal


def require_writer(principal: Annotated[Principal, Depends(get_principal)]) -> Principal:
    if not principal.can_write:
        raise Forbidden(detail=f"A {principal.role} key cannot change data.")
    return principal


def require_admin(principal: Annotated[Principal, Depends(get_principal)]) -> Principal:
    if principal.role is not Role.admin:
        raise Forbidden(detail="Only an admin key can do this.")
    return principal


class PseudonymousOnly(Forbidden):
    type, title = "pseudonymous-access-only", "This API key sees pseudonymous data only"


PSEUDONYMOUS_ROUTES = ("/api/v1/exports", "/api/v1/analyses")


def require_identified_reader(principal: Annotated[Principal, Depends(get_principal)]) -> Principal:
    """The research-access policy, in one place: operational endpoints return identified patient-level records
    (real dates, study ids, case manager codes), so only admin and clinic keys may read them. Researcher keys
    use the de-identified routes instead."""
    if not principal.identified:
        raise PseudonymousOnly(
            detail=(
                f"A {principal.role} key sees pseudonymous data only: use {PSEUDONYMOUS_ROUTES[0]} "
                f"(ids re-keyed per export, dates as offsets, no free text) or {PSEUDONYMOUS_ROUTES[1]}."
            ),
            extensions={"see": list(PSEUDONYMOUS_ROUTES)},
        )
    return principal


Reader = Annotated[Principal, Depends(get_principal)]
Writer = Annotated[Principal, Depends(require_writer)]
Admin = Annotated[Principal, Depends(require_admin)]
IdentifiedReader = Annotated[Principal, Depends(require_identified_reader)]  # admin or clinic keys


# The service acting on its own behalf (CLI bootstrap, demo loader, internal consent checks).
SYSTEM = Principal(key_id=uuid.UUID(int=0), role=Role.admin, site_id=None)
