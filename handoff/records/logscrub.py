"""Keep query strings out of the web server's log lines: a search box or a link can carry a number or address."""

from __future__ import annotations

import logging

_INSTALLED_ON = ("uvicorn.access", "uvicorn.error")


def _without_query(value: object) -> object:
    return value.split("?", 1)[0] + "?…" if isinstance(value, str) and "?" in value else value


class DropQueryStrings(logging.Filter):
    """Rewrites uvicorn's access lines (and its WebSocket lines) to show the path only, never ``?...``."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and args:
            if record.name == "uvicorn.access" and len(args) >= 3:
                record.args = (*args[:2], _without_query(args[2]), *args[3:])
            elif isinstance(record.msg, str) and "WebSocket %s" in record.msg:
                record.args = tuple(_without_query(a) for a in args)
        return True


def install() -> None:
    """Add the filter once to uvicorn's loggers (safe to call for every app created)."""
    for name in _INSTALLED_ON:
        logger = logging.getLogger(name)
        if not any(isinstance(f, DropQueryStrings) for f in logger.filters):
            logger.addFilter(DropQueryStrings())
