"""Audit trail (append-only, hash-chained) and consent events

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 07:01:50.686392
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The digest covers every column but the chain fields, in a text form that does not depend on session
# settings (timestamps as epoch microseconds; jsonb's text form is canonical). `dyadstudy audit verify`
# recomputes it with the same function.
DIGEST = """
CREATE FUNCTION audit_event_digest(e audit_events, prev bytea) RETURNS bytea
LANGUAGE sql IMMUTABLE AS $$
    SELECT sha256(coalesce(prev, '\\x'::bytea) || convert_to(concat_ws('|',
        e.seq, e.id, (extract(epoch FROM e.occurred_at) * 1000000)::bigint, e.actor_key_id, e.actor_role,
        e.actor_site_id, e.action, e.entity, e.entity_id, e.site_id, e.changes::text, e.reason, e.request_id
    ), 'UTF8'))
$$
"""

# Appending takes a transaction-level lock, so the chain has one order even with concurrent writers; the
# sequence number is drawn under the lock, so `seq` order is chain order.
CHAIN = """
CREATE FUNCTION audit_event_chain() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE last_hash bytea;
BEGIN
    PERFORM pg_advisory_xact_lock(727275);
    NEW.seq := nextval('audit_events_seq');
    NEW.occurred_at := clock_timestamp();
    SELECT hash INTO last_hash FROM audit_events ORDER BY seq DESC LIMIT 1;
    NEW.prev_hash := last_hash;
    NEW.hash := audit_event_digest(NEW, last_hash);
    RETURN NEW;
END $$
"""

APPEND_ONLY = """
CREATE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END $$
"""

TRIGGERS = [
    "CREATE SEQUENCE audit_events_seq",
    DIGEST,
    CHAIN,
    APPEND_ONLY,
    "CREATE TRIGGER audit_events_chain BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION audit_event_chain()",
    *[
        f"CREATE TRIGGER {t}_append_only BEFORE UPDATE OR DELETE ON {t} FOR EACH ROW EXECUTE FUNCTION refuse_change()"
        for t in ("audit_events", "consent_events")
    ],
    *[
        f"CREATE TRIGGER {t}_no_truncate BEFORE TRUNCATE ON {t} FOR EACH STATEMENT EXECUTE FUNCTION refuse_change()"
        for t in ("audit_events", "consent_events")
    ],
]

DROP_TRIGGERS = [
    *[f"DROP TRIGGER {t}_no_truncate ON {t}" for t in ("audit_events", "consent_events")],
    *[f"DROP TRIGGER {t}_append_only ON {t}" for t in ("audit_events", "consent_events")],
    "DROP TRIGGER audit_events_chain ON audit_events",
    "DROP FUNCTION refuse_change()",
    "DROP FUNCTION audit_event_chain()",
    "DROP FUNCTION audit_event_digest(audit_events, bytea)",
    "DROP SEQUENCE audit_events_seq",
]


def upgrade() -> None:
    op.create_table(
        "audit_events",
        sa.Column("seq", sa.BigInteger(), nullable=True),
        sa.Column(
            "occurred_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("clock_timestamp()"),
            nullable=False,
        ),
        sa.Column("actor_key_id", sa.Uuid(), nullable=False),
        sa.Column(
            "actor_role",
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
        sa.Column("actor_site_id", sa.Uuid(), nullable=True),
        sa.Column(
            "action",
            sa.Enum(
                "create",
                "update",
                "correct",
                "end",
                "transfer",
                "consent",
                "withdraw",
                "key_create",
                "key_revoke",
                "export",
                "analysis_request",
                name="audit_action",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("entity", sa.String(length=64), nullable=False),
        sa.Column("entity_id", sa.Uuid(), nullable=True),
        sa.Column("site_id", sa.Uuid(), nullable=True),
        sa.Column("changes", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("request_id", sa.String(length=64), nullable=True),
        sa.Column("prev_hash", sa.LargeBinary(length=32), nullable=True),
        sa.Column("hash", sa.LargeBinary(length=32), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
        sa.UniqueConstraint("seq", name=op.f("uq_audit_events__seq")),
    )
    op.create_index(op.f("ix_audit_events__actor_key_id"), "audit_events", ["actor_key_id"], unique=False)
    op.create_index("ix_audit_events__entity", "audit_events", ["entity", "entity_id"], unique=False)
    op.create_index(op.f("ix_audit_events__occurred_at"), "audit_events", ["occurred_at"], unique=False)
    op.create_table(
        "consent_events",
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("site_id", sa.Uuid(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "consented",
                "withdrawn",
                name="consent_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("effective_on", sa.Date(), nullable=False),
        sa.Column("form_version", sa.String(length=64), nullable=True),
        sa.Column("data_collection", sa.Boolean(), nullable=False),
        sa.Column("linkage", sa.Boolean(), nullable=False),
        sa.Column("future_use", sa.Boolean(), nullable=False),
        sa.Column(
            "withdrawal_level",
            sa.Enum(
                "stop_collection",
                "stop_linkage",
                "exclude_data",
                name="withdrawal_level",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("modified_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "(status = 'withdrawn') = (withdrawal_level IS NOT NULL)",
            name=op.f("ck_consent_events__withdrawal_has_level"),
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_consent_events__patient_id__patients")
        ),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], name=op.f("fk_consent_events__site_id__sites")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_events")),
    )
    op.create_index(op.f("ix_consent_events__patient_id"), "consent_events", ["patient_id"], unique=False)
    op.create_index(op.f("ix_consent_events__site_id"), "consent_events", ["site_id"], unique=False)

    for statement in TRIGGERS:
        op.execute(statement)


def downgrade() -> None:
    for statement in DROP_TRIGGERS:
        op.execute(statement)
    op.drop_index(op.f("ix_consent_events__site_id"), table_name="consent_events")
    op.drop_index(op.f("ix_consent_events__patient_id"), table_name="consent_events")
    op.drop_table("consent_events")
    op.drop_index(op.f("ix_audit_events__occurred_at"), table_name="audit_events")
    op.drop_index("ix_audit_events__entity", table_name="audit_events")
    op.drop_index(op.f("ix_audit_events__actor_key_id"), table_name="audit_events")
    op.drop_table("audit_events")
