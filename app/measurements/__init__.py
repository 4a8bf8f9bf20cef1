"""Shared machinery of alliance ratings and outcome measures: one versioned ``measurements`` table.

``app.ratings`` and ``app.outcomes`` expose it per kind; ``app.submissions`` and ``app.imports`` feed it
in bulk.
"""
