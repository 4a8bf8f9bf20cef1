"""Foundation: sites, case managers, patients, dyads and API keys

Revision ID: 0001
Revises:
Create Date: 2026-11-26 06:56:55.185343
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NO_DELETE_TABLES = ("sites", "case_managers", "patients", "dyads", "api_keys")

TRIGGERS = [
    # A dyad's period lies within the case manager's employment and starts on or after enrolment.
    """
    CREATE FUNCTION dyad_period_check() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE cm record; pt record;
    BEGIN
        SELECT started_on, left_on INTO cm FROM case_managers WHERE id = NEW.case_manager_id;
        SELECT enrolled_on INTO pt FROM patients WHERE id = NEW.patient_id;
        IF NEW.started_on < pt.enrolled_on THEN
            RAISE EXCEPTION 'dyad starts before the patient''s enrolment'
                USING ERRCODE = 'check_violation', CONSTRAINT = 'ck_dyads__after_enrolment';
        END IF;
        IF NEW.started_on < cm.started_on
           OR (cm.left_on IS NOT NULL AND (NEW.ended_on IS NULL OR NEW.ended_on > cm.left_on)) THEN
            RAISE EXCEPTION 'dyad period lies outside the case manager''s employment'
                USING ERRCODE = 'check_violation', CONSTRAINT = 'ck_dyads__within_employment';
        END IF;
        RETURN NEW;
    END $$
    """,
    """
    CREATE TRIGGER dyads_period_check BEFORE INSERT OR UPDATE ON dyads
    FOR EACH ROW EXECUTE FUNCTION dyad_period_check()
    """,
    # Changing an employment period or an enrolment date must not strand existing dyads.
    """
    CREATE FUNCTION dyad_parent_period_check() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        -- Nested IFs: PL/pgSQL does not short-circuit `AND`, and NEW of one table lacks the other's columns.
        IF TG_TABLE_NAME = 'case_managers' THEN
            IF EXISTS (
                SELECT 1 FROM dyads d WHERE d.case_manager_id = NEW.id AND (
                    d.started_on < NEW.started_on
                    OR (NEW.left_on IS NOT NULL AND (d.ended_on IS NULL OR d.ended_on > NEW.left_on)))
            ) THEN
                RAISE EXCEPTION 'case manager has dyads outside the new employment period'
                    USING ERRCODE = 'check_violation', CONSTRAINT = 'ck_dyads__within_employment';
            END IF;
        ELSIF TG_TABLE_NAME = 'patients' THEN
            IF EXISTS (
                SELECT 1 FROM dyads d WHERE d.patient_id = NEW.id AND d.started_on < NEW.enrolled_on
            ) THEN
                RAISE EXCEPTION 'patient has dyads starting before the new enrolment date'
                    USING ERRCODE = 'check_violation', CONSTRAINT = 'ck_dyads__after_enrolment';
            END IF;
        END IF;
        RETURN NEW;
    END $$
    """,
    """
    CREATE TRIGGER case_managers_dyad_period_check AFTER UPDATE OF started_on, left_on ON case_managers
    FOR EACH ROW EXECUTE FUNCTION dyad_parent_period_check()
    """,
    """
    CREATE TRIGGER patients_dyad_period_check AFTER UPDATE OF enrolled_on ON patients
    FOR EACH ROW EXECUTE FUNCTION dyad_parent_period_check()
    """,
    # Nothing is ever hard-deleted.
    """
    CREATE FUNCTION forbid_delete() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'rows of % are never deleted', TG_TABLE_NAME USING ERRCODE = 'restrict_violation';
    END $$
    """,
    *[
        f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} FOR EACH ROW EXECUTE FUNCTION forbid_delete()"
        for table in NO_DELETE_TABLES
    ],
]

DROP_TRIGGERS = [
    *[f"DROP TRIGGER {table}_no_delete ON {table}" for table in NO_DELETE_TABLES],
    "DROP FUNCTION forbid_delete()",
    "DROP TRIGGER patients_dyad_period_check ON patients",
    "DROP TRIGGER case_managers_dyad_period_check ON case_managers",
    "DROP FUNCTION dyad_parent_period_check()",
    "DROP TRIGGER dyads_period_check ON dyads",
    "DROP FUNCTION dyad_period_check()",
]


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    op.create_table(
        "sites",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("modified_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sites")),
        sa.UniqueConstraint("code", name=op.f("uq_sites__code")),
    )
    op.create_table(
        "api_keys",
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "admin",
                "clinic",
                "researcher",
                name="role",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("site_id", sa.Uuid(), nullable=True),
        sa.Column("key_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("modified_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "(role = 'clinic') = (site_id IS NOT NULL)", name=op.f("ck_api_keys__clinic_has_site")
        ),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], name=op.f("fk_api_keys__site_id__sites")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_api_keys__key_hash")),
    )
    op.create_table(
        "case_managers",
        sa.Column("site_id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column(
            "discipline",
            sa.Enum(
                "nursing",
                "social_work",
                "occupational_therapy",
                "psychology",
                "psychiatry",
                "other",
                name="discipline",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("left_on", sa.Date(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("modified_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "left_on IS NULL OR left_on >= started_on", name=op.f("ck_case_managers__employment_period")
        ),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], name=op.f("fk_case_managers__site_id__sites")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_managers")),
        sa.UniqueConstraint("id", "site_id", name=op.f("uq_case_managers__id_site_id")),
        sa.UniqueConstraint("site_id", "code", name=op.f("uq_case_managers__site_id_code")),
    )
    op.create_index(op.f("ix_case_managers__site_id"), "case_managers", ["site_id"], unique=False)
    op.create_table(
        "patients",
        sa.Column("site_id", sa.Uuid(), nullable=False),
        sa.Column("study_id", sa.String(length=32), nullable=False),
        sa.Column("birth_year", sa.SmallInteger(), nullable=True),
        sa.Column(
            "sex",
            sa.Enum(
                "female",
                "male",
                "other",
                "not_stated",
                name="sex",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column(
            "diagnosis_group",
            sa.Enum(
                "psychosis",
                "bipolar",
                "depression",
                "anxiety",
                "personality",
                "substance_use",
                "other",
                name="diagnosis_group",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("enrolled_on", sa.Date(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("modified_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], name=op.f("fk_patients__site_id__sites")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patients")),
        sa.UniqueConstraint("id", "site_id", name=op.f("uq_patients__id_site_id")),
        sa.UniqueConstraint("site_id", "study_id", name=op.f("uq_patients__site_id_study_id")),
    )
    op.create_index(op.f("ix_patients__site_id"), "patients", ["site_id"], unique=False)
    op.create_table(
        "dyads",
        sa.Column("site_id", sa.Uuid(), nullable=False),
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("case_manager_id", sa.Uuid(), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column(
            "end_reason",
            sa.Enum(
                "case_manager_left",
                "transfer",
                "discharge",
                "patient_request",
                "other",
                name="end_reason",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("modified_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        postgresql.ExcludeConstraint(
            (sa.column("patient_id"), "="),
            (sa.text("daterange(started_on, ended_on, '[]')"), "&&"),
            using="gist",
            name="excl_dyads__patient_period",
        ),
        sa.CheckConstraint(
            "(ended_on IS NULL) = (end_reason IS NULL)", name=op.f("ck_dyads__end_reason_when_ended")
        ),
        sa.CheckConstraint("ended_on IS NULL OR ended_on >= started_on", name=op.f("ck_dyads__period_order")),
        sa.ForeignKeyConstraint(
            ["case_manager_id", "site_id"],
            ["case_managers.id", "case_managers.site_id"],
            name="fk_dyads__case_manager_site",
        ),
        sa.ForeignKeyConstraint(
            ["patient_id", "site_id"], ["patients.id", "patients.site_id"], name="fk_dyads__patient_site"
        ),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], name=op.f("fk_dyads__site_id__sites")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dyads")),
    )
    op.create_index(op.f("ix_dyads__case_manager_id"), "dyads", ["case_manager_id"], unique=False)
    op.create_index(op.f("ix_dyads__patient_id"), "dyads", ["patient_id"], unique=False)
    op.create_index(op.f("ix_dyads__site_id"), "dyads", ["site_id"], unique=False)
    for statement in TRIGGERS:
        op.execute(statement)


def downgrade() -> None:
    for statement in DROP_TRIGGERS:
        op.execute(statement)
    op.drop_index(op.f("ix_dyads__site_id"), table_name="dyads")
    op.drop_index(op.f("ix_dyads__patient_id"), table_name="dyads")
    op.drop_index(op.f("ix_dyads__case_manager_id"), table_name="dyads")
    op.drop_table("dyads")
    op.drop_index(op.f("ix_patients__site_id"), table_name="patients")
    op.drop_table("patients")
    op.drop_index(op.f("ix_case_managers__site_id"), table_name="case_managers")
    op.drop_table("case_managers")
    op.drop_table("api_keys")
    op.drop_table("sites")
