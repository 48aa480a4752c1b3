"""Secrets never leave the process: masked in messages, logs and what the warehouse stores.

Two kinds are known. Values the sources config takes from the environment (`${CX_...}`) are registered
as they are expanded, and masked wherever they appear, URL-encoded or not. Values of URL query
parameters whose names say they are credentials (`key`, `token`, `secret`, `password`, `signature`...)
are masked in any text, registered or not, since a URL is what an error message most often quotes.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from sqlalchemy.exc import StatementError

MASK = "***"
# A failure's message as `pipeline_run.error` keeps it; a database error's SQL and parameters are left out.
ERROR_MAX_CHARS = 2000
# Shorter values are too likely to occur by chance in ordinary text to be masked everywhere.
_MIN_SECRET_LENGTH = 4
_CREDENTIAL_PARAMETER = re.compile(
    r"(?i)([?&;][\w.-]*?(?:key|token|secret|password|passwd|pwd|signature|sig|auth|credential)[\w.-]*=)"
    r"([^&#\s'\"<>]+)"
)
_registered: set[str] = set()


def register(value: str) -> None:
    """A value that must never be shown: every later `mask` hides it."""
    if len(value) >= _MIN_SECRET_LENGTH:
        _registered.add(value)


def mask(text: str) -> str:
    """`text` with every registered secret and every credential in a URL query replaced by ***."""
    for secret in sorted(_registered, key=len, reverse=True):
        text = text.replace(secret, MASK)
        encoded = quote(secret, safe="")
        if encoded != secret:
            text = text.replace(encoded, MASK)
    return _CREDENTIAL_PARAMETER.sub(lambda match: match.group(1) + MASK, text)


def stored_error(exc: BaseException) -> str:
    """What `pipeline_run.error` keeps of a failure: its type and message, without the SQL statement and
    parameters a database error carries (customer text, and hundreds of kilobytes of it), secrets
    masked, at most ERROR_MAX_CHARS characters."""
    if isinstance(exc, StatementError) and exc.orig is not None:
        # The driver's first line says what went wrong; PostgreSQL's next lines quote the statement.
        reason = str(exc.orig).strip().splitlines()[0] if str(exc.orig).strip() else ""
        text = f"{type(exc).__name__} ({type(exc.orig).__name__}): {reason}"
    else:
        text = f"{type(exc).__name__}: {exc}"
    text = mask(text)
    return text if len(text) <= ERROR_MAX_CHARS else text[: ERROR_MAX_CHARS - 1] + "…"
