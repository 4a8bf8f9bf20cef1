"""Seed the built-in instrument definitions into the registry table, idempotently.

Called by the data step of migration 0003 (and by any later migration that ships new built-in versions):
``INSERT … ON CONFLICT (code, version) DO NOTHING``, so re-running is harmless and a stored definition is
never replaced (definitions are immutable; a changed built-in must get a new version).
"""

import json

from sqlalchemy import Connection, text

from app.instruments.builtin import list_builtins

INSERT = text(
    """
    INSERT INTO instruments (id, code, version, kind, definition, builtin, created_at)
    VALUES (gen_random_uuid(), :code, :version, :kind, CAST(:definition AS jsonb), true, now())
    ON CONFLICT (code, version) DO NOTHING
    """
)


def seed_builtins(connection: Connection) -> int:
    """Insert every packaged built-in definition that is not stored yet; returns how many were inserted."""
    inserted = 0
    for definition in list_builtins():
        result = connection.execute(
            INSERT,
            {
                "code": definition.code,
                "version": definition.version,
                "kind": definition.kind.value,
                "definition": json.dumps(definition.model_dump(mode="json")),
            },
        )
        inserted += result.rowcount
    return inserted
