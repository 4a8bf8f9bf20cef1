"""In-process cache of the stored instrument definitions (the hot path never queries for them).

A stored (code, version) is immutable, so a cached definition never goes stale. Only "the latest version of a
code" can change, when an admin registers a new version: this process drops its cache at once, other
processes reload at most ``TTL_SECONDS`` later (or at once on a miss).
"""

import threading
import time
from dataclasses import dataclass

from sqlalchemy.orm import Session

from app.instruments.definition import InstrumentDefinition
from app.instruments.repository import InstrumentRepository

TTL_SECONDS = 5.0


@dataclass(frozen=True)
class Entry:
    definition: InstrumentDefinition
    builtin: bool


class Registry:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_key: dict[tuple[str, str], Entry] = {}
        self._latest: dict[str, str] = {}
        self._loaded_at = -1e9

    def invalidate(self) -> None:
        with self._lock:
            self._loaded_at = -1e9

    def _load(self, session: Session) -> None:
        rows = InstrumentRepository(session).all()  # ordered by code, then creation: the last one is latest
        by_key: dict[tuple[str, str], Entry] = {}
        latest: dict[str, str] = {}
        for row in rows:
            cached = self._by_key.get((row.code, row.version))
            definition = cached.definition if cached else InstrumentDefinition.model_validate(row.definition)
            by_key[(row.code, row.version)] = Entry(definition, row.builtin)
            latest[row.code] = row.version
        with self._lock:
            self._by_key, self._latest, self._loaded_at = by_key, latest, time.monotonic()

    def _fresh(self, session: Session) -> None:
        if time.monotonic() - self._loaded_at > TTL_SECONDS:
            self._load(session)

    def find(self, session: Session, code: str, version: str | None = None) -> Entry | None:
        """The definition of ``code`` at ``version`` (latest when None), or None if there is none."""
        self._fresh(session)
        for attempt in range(2):
            chosen = version or self._latest.get(code)
            entry = self._by_key.get((code, chosen)) if chosen else None
            if entry is not None or attempt:
                return entry
            self._load(session)  # a miss may be a version registered by another process
        return None

    def entries(self, session: Session) -> list[Entry]:
        self._fresh(session)
        return list(self._by_key.values())

    def latest_version(self, session: Session, code: str) -> str | None:
        self._fresh(session)
        return self._latest.get(code)


registry = Registry()
