"""Process-wide settings, read from the environment (prefix ``DYADSTUDY_``)."""

from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEV_SECRET = "dev-only-pseudonym-secret-change-me"


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
        description="Requests per API key (or client address without one), e.g. `600/minute`; empty = off.",
    )

    pseudonym_secret: SecretStr = Field(
        default=SecretStr(DEV_SECRET),
        description="Key material for re-keying ids in de-identified data sets (HMAC); set it in production.",
    )
    match_window_days: int = Field(
        default=45, description="Default ± days for matching outcomes to occasions."
    )
    worker_in_serve: bool = Field(
        default=True, description="`dyadstudy serve` also runs one analysis worker."
    )
    demo_on_start: bool = Field(
        default=True, description="`dyadstudy serve` loads the demo study into an empty DB."
    )
    worker_heartbeat_seconds: float = 2.0
    worker_stalled_seconds: float = 10.0

    @model_validator(mode="after")
    def _no_default_secret_in_production(self) -> "Settings":
        if self.env is Environment.production and self.pseudonym_secret.get_secret_value() == DEV_SECRET:
            raise ValueError("set DYADSTUDY_PSEUDONYM_SECRET: the development default is public")
        return self

    @property
    def embedded_pgdata(self) -> Path:
        return self.data_dir / "pg"


@lru_cache
def get_settings() -> Settings:
    return Settings()
