"""Structured logging: one JSON object per line, always with the tenant."""

import json
import logging
from contextvars import ContextVar
from datetime import datetime, timezone

# Set by RequestLogMiddleware and by Celery task signals; read by every log record.
log_context: ContextVar[dict] = ContextVar("log_context", default={})

_RESERVED = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class TenantContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        ctx = log_context.get()
        if not hasattr(record, "tenant"):
            tenant = ctx.get("tenant")
            if tenant is None:
                from django.db import connection

                tenant = getattr(connection, "schema_name", None)
            record.tenant = tenant
        for key, value in ctx.items():
            if not hasattr(record, key):
                setattr(record, key, value)
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload = {
            "ts": datetime.fromtimestamp(record.created, tz=timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _RESERVED and not key.startswith("_"):
                payload[key] = value
        if record.exc_info:
            payload["exc"] = self.formatException(record.exc_info)
        return json.dumps(payload, default=str)
