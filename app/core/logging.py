"""Structured (JSON lines) logging with the request id on every record."""

import json
import logging
import sys
from datetime import UTC, datetime

from app.core.middleware import request_id_var

_STANDARD = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
            "request_id": request_id_var.get(),
        }
        entry.update({k: v for k, v in record.__dict__.items() if k not in _STANDARD})
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # uvicorn's own access log repeats ours, with the raw path (which may carry identifiers).
    logging.getLogger("uvicorn.access").disabled = True
    # SQLAlchemy logs result rows (patient data) at DEBUG: never below INFO, where it logs statements only,
    # their parameters hidden (see ``build_engine``).
    logging.getLogger("sqlalchemy.engine").setLevel(max(logging.INFO, root.getEffectiveLevel()))
