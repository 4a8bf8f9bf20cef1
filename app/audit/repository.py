from collections.abc import Iterator
from typing import Any

from sqlalchemy import text

from app.core.repository import ScopedRepository
from app.models import AuditEvent


class AuditRepository(ScopedRepository[AuditEvent]):
    model = AuditEvent
    not_found = "Audit event not found."

    def chain_breaks(self) -> Iterator[Any]:
        """Events whose stored link or digest disagrees with a recomputation (empty when intact)."""
        return iter(
            self.session.execute(
                text(
                    """
                    SELECT seq, id FROM (
                        SELECT e.seq, e.id, e.hash, e.prev_hash,
                               lag(e.hash) OVER (ORDER BY e.seq) AS expected_prev,
                               audit_event_digest(e, e.prev_hash) AS expected_hash
                        FROM audit_events e
                    ) chain
                    WHERE prev_hash IS DISTINCT FROM expected_prev OR hash IS DISTINCT FROM expected_hash
                    ORDER BY seq
                    """
                )
            )
        )

    def count(self) -> int:
        return int(self.session.execute(text("SELECT count(*) FROM audit_events")).scalar_one())
