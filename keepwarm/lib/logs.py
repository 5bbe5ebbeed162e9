"""Errors go to stderr, where `journalctl` and `docker logs` find them: plain lines or JSON.

JSON lines are one object per record (time, level, logger, message, and the traceback when
there is one), for log collectors that would otherwise split a traceback into many entries.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any

FORMATS = ("plain", "json")


class JsonLinesFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["traceback"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["traceback"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False)


def logging_config(log_format: str) -> dict[str, Any]:
    """Django's LOGGING: Keepwarm's own loggers (the worker's step failures among them) from
    INFO, and django.request's server errors with their tracebacks, to stderr."""
    if log_format not in FORMATS:
        raise ValueError(log_format)
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
            "json": {"()": JsonLinesFormatter},
        },
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stderr",
                "formatter": log_format,
            }
        },
        "loggers": {
            "keepwarm": {"handlers": ["stderr"], "level": "INFO"},
            # 4xx answers are logged as warnings; only server errors are worth a line here.
            "django.request": {"handlers": ["stderr"], "level": "ERROR", "propagate": False},
        },
    }
