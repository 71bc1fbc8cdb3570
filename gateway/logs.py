"""The gateway's logging set-up: its own logs at the operator's level, the HTTP client's
per-request lines only when debugging.

httpx logs every request it sends at INFO (``HTTP Request: GET ... "200 OK"``); the
gateway sends several per product on each health refresh and certification round, so
at the default level those lines would bury the gateway's own. They are raised to
WARNING unless the level is DEBUG, where every request is worth seeing.
"""

from __future__ import annotations

import logging

QUIET_LOGGERS = ("httpx", "httpcore")
"""Libraries whose INFO lines are one per request: WARNING unless debugging."""


def configure_logging(level: str) -> None:
    """Log at ``level`` (a name such as ``"info"``), with :data:`QUIET_LOGGERS` at WARNING
    unless ``level`` is DEBUG (then they follow the root level).

    >>> configure_logging("info"); logging.getLogger("httpx").getEffectiveLevel()
    30
    """
    name = level.upper()
    logging.basicConfig(level=name)
    quiet = logging.getLevelName(name) != logging.DEBUG
    for logger in QUIET_LOGGERS:
        logging.getLogger(logger).setLevel(logging.WARNING if quiet else logging.NOTSET)
