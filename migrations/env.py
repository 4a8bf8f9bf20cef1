"""Alembic environment: online migrations only (PostgreSQL is the only database)."""

from alembic import context
from sqlalchemy import create_engine, pool

from app.config import get_settings
from app.db.url import resolve_database_url
from app.models import Base

config = context.config
target_metadata = Base.metadata


def include_object(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    """The job queue's tables belong to procrastinate (applied as its own SQL in revision 0004)."""
    return not (reflected and compare_to is None and (name or "").startswith("procrastinate_"))


def run_migrations_online() -> None:
    url = config.get_main_option("sqlalchemy.url") or resolve_database_url(get_settings())
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        # One migrator at a time: concurrent app start-ups (several workers) wait here.
        connection.exec_driver_sql("SELECT pg_advisory_lock(727274)")
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            compare_type=True,
            include_object=include_object,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.exec_driver_sql("SELECT pg_advisory_unlock(727274)")
        connection.commit()


run_migrations_online()
