"""Out-of-band key creation for the CLI (there is no key yet to call the API with)."""

import uuid
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.engine import URL

from app.api_keys import service
from app.api_keys.schemas import ApiKeyCreate
from app.auth.principal import SYSTEM, hash_key
from app.db.engine import build_engine, build_sessionmaker
from app.db.migrate import upgrade
from app.models import ApiKey
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


def ensure_local_admin_key(url: URL, key_file: Path) -> str:
    """The embedded (laptop) set-up's admin key: kept in the git-ignored data folder so `make run` can print
    it on every start; replaced when the file is missing or the key was revoked. Never used with an external
    database (there, create keys with `dyadstudy create-key`)."""
    if key_file.exists():
        key = key_file.read_text().strip()
        engine = build_engine(url, pool_size=1)
        try:
            with build_sessionmaker(engine)() as session:
                active = session.scalar(
                    select(ApiKey.id).where(ApiKey.key_hash == hash_key(key), ApiKey.revoked_at.is_(None))
                )
        finally:
            engine.dispose()
        if active is not None:
            return key
    key = create_key_directly(url, Role.admin.value, "local admin (make run)", None)
    key_file.parent.mkdir(parents=True, exist_ok=True)
    key_file.write_text(key + "\n")
    key_file.chmod(0o600)
    return key
