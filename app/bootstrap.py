"""Out-of-band key creation for the CLI (there is no key yet to call the API with)."""

import uuid

from sqlalchemy.engine import URL

from app.api_keys import service
from app.api_keys.schemas import ApiKeyCreate
from app.auth.principal import SYSTEM
from app.db.engine import build_engine, build_sessionmaker
from app.db.migrate import upgrade
from app.models.enums import Role


def create_key_directly(url: URL, role: str, label: str, site_id: uuid.UUID | None) -> str:
    upgrade(url)
    engine = build_engine(url, pool_size=1)
    try:
        with build_sessionmaker(engine).begin() as session:
            data = ApiKeyCreate(label=label, role=Role(role), site_id=site_id)
            return service.create(session, SYSTEM, data).key
    finally:
        engine.dispose()
