"""Process-wide settings, read from the environment (prefix ``DYADSTUDY_``)."""

from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Environment(StrEnum):
    development = "development"
    test = "test"
    production = "production"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DYADSTUDY_", env_file=".env", extra="ignore")

    env: Environment = Environment.development
    database_url: str | None = Field(
        default=None,
        description="PostgreSQL URL. When unset, an embedded PostgreSQL 18 is started in `data_dir`.",
    )
    data_dir: Path = PROJECT_ROOT / ".data"
    migrate_on_start: bool = True
    host: str = "127.0.0.1"
    port: int = 8000
    db_pool_size: int = 20
    log_level: str = "INFO"
    max_body_bytes: int = 10 * 1024 * 1024
    rate_limit: str | None = Field(
        default="600/minute",
        description="Requests per API key (or per client address without one), e.g. `600/minute`; empty: off.",
    )

    @property
    def embedded_pgdata(self) -> Path:
        return self.data_dir / "pg"


@lru_cache
def get_settings() -> Settings:
    return Settings()
