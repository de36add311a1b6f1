"""The handler's loggers: every line is redacted (no presigned query, token or secret), tracebacks included."""
import logging
import traceback
from typing import Any

from .redaction import redact


class _RedactingLogger(logging.LoggerAdapter):
    def log(self, level: int, msg: Any, *args: Any, exc_info: Any = None, **kwargs: Any) -> None:
        if not self.isEnabledFor(level):
            return
        text = str(msg) % args if args else str(msg)
        if exc_info:
            text += "\n" + "".join(traceback.format_exc() if exc_info is True else traceback.format_exception(exc_info))
        self.logger.log(level, redact(text), **kwargs)

    def exception(self, msg: Any, *args: Any, **kwargs: Any) -> None:
        self.log(logging.ERROR, msg, *args, exc_info=True, **kwargs)


def get_logger(name: str) -> logging.LoggerAdapter:
    return _RedactingLogger(logging.getLogger(name), {})


class _RedactingFilter(logging.Filter):
    """For the libraries the handler drives: urllib3 logs each request's URL, query included, at DEBUG."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = redact(record.getMessage()), ()
        return True


for _name in ("urllib3.connectionpool", "websocket"):
    logging.getLogger(_name).addFilter(_RedactingFilter())
