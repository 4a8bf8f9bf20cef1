"""Analysis runs and the procrastinate job queue schema

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 07:30:00

The job queue's tables, types, functions and triggers are procrastinate's own schema SQL
(``procrastinate.schema.SchemaManager.get_schema()``, procrastinate 3.x), applied here so that Alembic is the
only thing that ever changes the database. They are not in our ORM metadata; ``migrations/env.py`` keeps
autogenerate / ``alembic check`` from reporting them. Upgrading procrastinate to a version with schema
migrations needs a new revision that applies its ``sql/migrations`` files.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from procrastinate.schema import SchemaManager
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DROP_PROCRASTINATE = """
DO $$
DECLARE r record;
BEGIN
    FOR r IN SELECT tgname, tgrelid::regclass AS tbl FROM pg_trigger
             WHERE tgname LIKE 'procrastinate%' AND NOT tgisinternal LOOP
        EXECUTE format('DROP TRIGGER %I ON %s', r.tgname, r.tbl);
    END LOOP;
    DROP TABLE IF EXISTS procrastinate_events, procrastinate_periodic_defers, procrastinate_jobs,
        procrastinate_workers CASCADE;
    FOR r IN SELECT p.oid::regprocedure AS fn FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
             WHERE p.proname LIKE 'procrastinate%' AND n.nspname = current_schema() LOOP
        EXECUTE format('DROP FUNCTION %s CASCADE', r.fn);
    END LOOP;
    FOR r IN SELECT t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
             WHERE t.typname LIKE 'procrastinate%' AND t.typtype IN ('e', 'c') AND n.nspname = current_schema() LOOP
        EXECUTE format('DROP TYPE IF EXISTS %I CASCADE', r.typname);
    END LOOP;
END $$
"""


def _status() -> sa.Enum:
    return sa.Enum(
        "queued",
        "running",
        "succeeded",
        "failed",
        name="run_status",
        native_enum=False,
        create_constraint=True,
        length=32,
    )


def _role() -> sa.Enum:
    return sa.Enum(
        "admin", "clinic", "researcher", name="role", native_enum=False, create_constraint=True, length=32
    )


def upgrade() -> None:
    # psycopg runs a parameterless statement verbatim (no placeholder parsing), so the SQL goes in as shipped.
    op.get_bind().connection.driver_connection.execute(SchemaManager.get_schema())  # type: ignore[union-attr]
    op.create_table(
        "analysis_runs",
        sa.Column("status", _status(), nullable=False),
        sa.Column("template", sa.String(length=8), nullable=False),
        sa.Column("spec", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("spec_hash", sa.String(length=64), nullable=False),
        sa.Column("site_id", sa.Uuid(), nullable=True),
        sa.Column("requested_by", sa.Uuid(), nullable=False),
        sa.Column("requester_role", _role(), nullable=False),
        sa.Column("dataset", sa.LargeBinary(), nullable=False),
        sa.Column("dataset_sha256", sa.String(length=64), nullable=False),
        sa.Column("dataset_rows", sa.Integer(), nullable=False),
        sa.Column("patient_keys", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("n_excluded_withdrawn", sa.Integer(), nullable=False),
        sa.Column("instrument_versions", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("library_versions", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.Column("result", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("attempts", sa.SmallInteger(), nullable=False),
        sa.Column("job_id", sa.BigInteger(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("modified_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analysis_runs")),
    )
    op.create_index("ix_analysis_runs__cache_key", "analysis_runs", ["spec_hash", "dataset_sha256"])
    op.create_index(op.f("ix_analysis_runs__requested_by"), "analysis_runs", ["requested_by"])
    op.create_index(op.f("ix_analysis_runs__site_id"), "analysis_runs", ["site_id"])
    op.create_index("ix_measurements__dyad_series", "measurements", ["dyad_id", "instrument_code", "rated_on"])


def downgrade() -> None:
    op.drop_index("ix_measurements__dyad_series", table_name="measurements")
    op.drop_index(op.f("ix_analysis_runs__site_id"), table_name="analysis_runs")
    op.drop_index(op.f("ix_analysis_runs__requested_by"), table_name="analysis_runs")
    op.drop_index("ix_analysis_runs__cache_key", table_name="analysis_runs")
    op.drop_table("analysis_runs")
    op.execute(DROP_PROCRASTINATE)
