"""Logging setup: human-readable text, or one JSON object per line (`INTERLOCK_LOG_FORMAT=json`) for collectors."""

import logging
import re
from datetime import UTC, datetime
from typing import Any

import msgspec

_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}
_encoder = msgspec.json.Encoder()
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_CONTROL = re.compile("[\x00-\x1f\x7f\x85\u2028\u2029]")


class TextFormatter(logging.Formatter):
    """TEXT_FORMAT with control characters escaped (newline as backslash-n…): a `%0A` in a path cannot forge a line.

    Only the line itself is escaped; an exception's traceback that follows it keeps its newlines.
    """

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802  (logging's own name)
        """The line with its control characters escaped."""
        return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode(), super().formatMessage(record))


class JsonFormatter(logging.Formatter):
    """`{"ts", "level", "logger", "msg", …extra fields, "exc"?}` on one line."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as one line of JSON."""
        doc: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
            "pid": record.process,
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                doc[key] = value if isinstance(value, str | int | float | bool | None) else repr(value)
        if record.exc_info:
            doc["exc"] = self.formatException(record.exc_info)
        return _encoder.encode(doc).decode()


def configure(level: str, fmt: str) -> None:
    """Configure the root logger of this process."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    logging.basicConfig(level=level, handlers=[handler], force=True)
    for chatty in ("httpx", "mcp"):  # a line per outgoing request / per stateless MCP request
        logging.getLogger(chatty).setLevel(logging.WARNING)


def granian_config(fmt: str) -> dict[str, Any] | None:
    """Granian's own loggers in the same format (None keeps its default text)."""
    if fmt != "json":
        return None
    json_formatter = {"()": "service.logs.JsonFormatter"}
    return {"formatters": {"generic": json_formatter, "access": json_formatter}}
