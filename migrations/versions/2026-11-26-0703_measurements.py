"""Instrument registry, measurements (alliance ratings and outcome measures, versioned), service-use
windows and idempotency keys; built-in instrument definitions seeded as data

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 07:03:56.267784
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from app.instruments.seed import seed_builtins

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

VERSIONED = ("measurements", "service_use_windows")

# A stored version is frozen: the only update allowed is superseding it (is_current true -> false).
FROZEN = """
CREATE FUNCTION version_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT (OLD.is_current AND NOT NEW.is_current)
       OR (to_jsonb(NEW) - 'is_current') IS DISTINCT FROM (to_jsonb(OLD) - 'is_current') THEN
        RAISE EXCEPTION 'versions of % are frozen: correct by adding a version', TG_TABLE_NAME
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END $$
"""

TRIGGERS = [
    FROZEN,
    *[
        f"CREATE TRIGGER {t}_frozen BEFORE UPDATE ON {t} FOR EACH ROW EXECUTE FUNCTION version_frozen()"
        for t in VERSIONED
    ],
    *[
        f"CREATE TRIGGER {t}_no_delete BEFORE DELETE ON {t} FOR EACH ROW EXECUTE FUNCTION forbid_delete()"
        for t in VERSIONED
    ],
    # Definitions are immutable (a change is a new version) and never deleted.
    "CREATE TRIGGER instruments_append_only BEFORE UPDATE OR DELETE ON instruments "
    "FOR EACH ROW EXECUTE FUNCTION refuse_change()",
]

DROP_TRIGGERS = [
    "DROP TRIGGER instruments_append_only ON instruments",
    *[f"DROP TRIGGER {t}_no_delete ON {t}" for t in VERSIONED],
    *[f"DROP TRIGGER {t}_frozen ON {t}" for t in VERSIONED],
    "DROP FUNCTION version_frozen()",
]


def upgrade() -> None:
    op.create_table(
        "instruments",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("version", sa.String(length=32), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "alliance",
                "outcome",
                name="instrument_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("definition", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("builtin", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_instruments")),
        sa.UniqueConstraint("code", "version", name=op.f("uq_instruments__code_version")),
    )
    op.create_table(
        "idempotency_keys",
        sa.Column("api_key_id", sa.Uuid(), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("fingerprint", sa.LargeBinary(length=32), nullable=False),
        sa.Column("status_code", sa.SmallInteger(), nullable=True),
        sa.Column("response_body", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["api_key_id"], ["api_keys.id"], name=op.f("fk_idempotency_keys__api_key_id__api_keys")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idempotency_keys")),
        sa.UniqueConstraint("api_key_id", "key", name=op.f("uq_idempotency_keys__api_key_id_key")),
    )
    op.create_table(
        "service_use_windows",
        sa.Column("record_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.SmallInteger(), nullable=False),
        sa.Column("is_current", sa.Boolean(), nullable=False),
        sa.Column("supersedes_id", sa.Uuid(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "active",
                "entered_in_error",
                name="measurement_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("site_id", sa.Uuid(), nullable=False),
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("window_start", sa.Date(), nullable=False),
        sa.Column("window_end", sa.Date(), nullable=False),
        sa.Column("days_at_risk", sa.Integer(), nullable=False),
        sa.Column("n_admissions", sa.Integer(), nullable=False),
        sa.Column("bed_days", sa.Integer(), nullable=False),
        sa.Column("n_ed_presentations", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=True),
        sa.Column("extracted_on", sa.Date(), nullable=True),
        sa.Column("natural_key", sa.LargeBinary(length=32), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "(version = 1) = (reason IS NULL)", name=op.f("ck_service_use_windows__reason_for_correction")
        ),
        sa.CheckConstraint(
            "days_at_risk >= 0 AND days_at_risk <= window_end - window_start + 1",
            name=op.f("ck_service_use_windows__exposure"),
        ),
        sa.CheckConstraint(
            "n_admissions >= 0 AND bed_days >= 0 AND n_ed_presentations >= 0",
            name=op.f("ck_service_use_windows__counts_not_negative"),
        ),
        sa.CheckConstraint("window_end >= window_start", name=op.f("ck_service_use_windows__window_order")),
        sa.ForeignKeyConstraint(
            ["patient_id", "site_id"],
            ["patients.id", "patients.site_id"],
            name="fk_service_use_windows__patient_site",
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["sites.id"], name=op.f("fk_service_use_windows__site_id__sites")
        ),
        sa.ForeignKeyConstraint(
            ["supersedes_id"],
            ["service_use_windows.id"],
            name=op.f("fk_service_use_windows__supersedes_id__service_use_windows"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_use_windows")),
        sa.UniqueConstraint("record_id", "version", name=op.f("uq_service_use_windows__record_id_version")),
    )
    op.create_index(
        op.f("ix_service_use_windows__patient_id"), "service_use_windows", ["patient_id"], unique=False
    )
    op.create_index(op.f("ix_service_use_windows__site_id"), "service_use_windows", ["site_id"], unique=False)
    op.create_index(
        "ux_service_use_windows__current",
        "service_use_windows",
        ["record_id"],
        unique=True,
        postgresql_where=sa.text("is_current"),
    )
    op.create_index(
        "ux_service_use_windows__natural_key",
        "service_use_windows",
        ["natural_key"],
        unique=True,
        postgresql_where=sa.text("is_current AND status = 'active'"),
    )
    op.create_table(
        "measurements",
        sa.Column("record_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.SmallInteger(), nullable=False),
        sa.Column("is_current", sa.Boolean(), nullable=False),
        sa.Column("supersedes_id", sa.Uuid(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "active",
                "entered_in_error",
                name="measurement_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column(
            "kind",
            sa.Enum(
                "alliance",
                "outcome",
                name="instrument_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("site_id", sa.Uuid(), nullable=False),
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("dyad_id", sa.Uuid(), nullable=True),
        sa.Column("case_manager_id", sa.Uuid(), nullable=True),
        sa.Column("instrument_code", sa.String(length=32), nullable=False),
        sa.Column("instrument_version", sa.String(length=32), nullable=False),
        sa.Column(
            "rater",
            sa.Enum(
                "patient",
                "case_manager",
                "observer",
                name="rater_role",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("rated_on", sa.Date(), nullable=False),
        sa.Column("occasion", sa.String(length=64), nullable=True),
        sa.Column("items", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("score_input", sa.Float(), nullable=True),
        sa.Column("scores", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("total", sa.Float(), nullable=False),
        sa.Column("n_valid", sa.SmallInteger(), nullable=False),
        sa.Column("prorated", sa.Boolean(), nullable=False),
        sa.Column("natural_key", sa.LargeBinary(length=32), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "kind <> 'alliance' OR (dyad_id IS NOT NULL AND rater IS NOT NULL)",
            name=op.f("ck_measurements__alliance_dyad"),
        ),
        sa.CheckConstraint(
            "(version = 1) = (reason IS NULL)", name=op.f("ck_measurements__reason_for_correction")
        ),
        sa.CheckConstraint(
            "(version = 1) = (supersedes_id IS NULL)", name=op.f("ck_measurements__supersedes_for_correction")
        ),
        sa.ForeignKeyConstraint(
            ["case_manager_id"],
            ["case_managers.id"],
            name=op.f("fk_measurements__case_manager_id__case_managers"),
        ),
        sa.ForeignKeyConstraint(["dyad_id"], ["dyads.id"], name=op.f("fk_measurements__dyad_id__dyads")),
        sa.ForeignKeyConstraint(
            ["instrument_code", "instrument_version"],
            ["instruments.code", "instruments.version"],
            name="fk_measurements__instrument",
        ),
        sa.ForeignKeyConstraint(
            ["patient_id", "site_id"],
            ["patients.id", "patients.site_id"],
            name="fk_measurements__patient_site",
        ),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], name=op.f("fk_measurements__site_id__sites")),
        sa.ForeignKeyConstraint(
            ["supersedes_id"], ["measurements.id"], name=op.f("fk_measurements__supersedes_id__measurements")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_measurements")),
        sa.UniqueConstraint("record_id", "version", name=op.f("uq_measurements__record_id_version")),
    )
    op.create_index(
        op.f("ix_measurements__case_manager_id"), "measurements", ["case_manager_id"], unique=False
    )
    op.create_index(op.f("ix_measurements__dyad_id"), "measurements", ["dyad_id"], unique=False)
    op.create_index(
        "ix_measurements__patient_series",
        "measurements",
        ["patient_id", "instrument_code", "rated_on"],
        unique=False,
    )
    op.create_index(op.f("ix_measurements__site_id"), "measurements", ["site_id"], unique=False)
    op.create_index(
        "ux_measurements__current",
        "measurements",
        ["record_id"],
        unique=True,
        postgresql_where=sa.text("is_current"),
    )
    op.create_index(
        "ux_measurements__natural_key",
        "measurements",
        ["natural_key"],
        unique=True,
        postgresql_where=sa.text("is_current AND status = 'active'"),
    )
    for statement in TRIGGERS:
        op.execute(statement)
    seed_builtins(op.get_bind())


def downgrade() -> None:
    for statement in DROP_TRIGGERS:
        op.execute(statement)
    op.drop_index(
        "ux_measurements__natural_key",
        table_name="measurements",
        postgresql_where=sa.text("is_current AND status = 'active'"),
    )
    op.drop_index(
        "ux_measurements__current", table_name="measurements", postgresql_where=sa.text("is_current")
    )
    op.drop_index(op.f("ix_measurements__site_id"), table_name="measurements")
    op.drop_index("ix_measurements__patient_series", table_name="measurements")
    op.drop_index(op.f("ix_measurements__dyad_id"), table_name="measurements")
    op.drop_index(op.f("ix_measurements__case_manager_id"), table_name="measurements")
    op.drop_table("measurements")
    op.drop_index(
        "ux_service_use_windows__natural_key",
        table_name="service_use_windows",
        postgresql_where=sa.text("is_current AND status = 'active'"),
    )
    op.drop_index(
        "ux_service_use_windows__current",
        table_name="service_use_windows",
        postgresql_where=sa.text("is_current"),
    )
    op.drop_index(op.f("ix_service_use_windows__site_id"), table_name="service_use_windows")
    op.drop_index(op.f("ix_service_use_windows__patient_id"), table_name="service_use_windows")
    op.drop_table("service_use_windows")
    op.drop_table("idempotency_keys")
    op.drop_table("instruments")
