import uuid

from fastapi import APIRouter

from app.auth.principal import Reader
from app.core.schemas import ReadSchema
from app.models.enums import Role

router = APIRouter(tags=["auth"])


class WhoAmI(ReadSchema):
    key_id: uuid.UUID
    role: Role
    site_id: uuid.UUID | None


@router.get("/whoami", response_model=WhoAmI)
def whoami(principal: Reader) -> object:
    """The calling key's role and site (also the benchmark's framework ceiling: one authenticated query)."""
    return principal
