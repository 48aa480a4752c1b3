"""Secrets never leave the process: masked in messages, logs and what the warehouse stores.

Two kinds are known. Values the sources config takes from the environment (`${CX_...}`) are registered
as they are expanded, and masked wherever they appear, URL-encoded or not. Values of URL query
parameters whose names say they are credentials (`key`, `token`, `secret`, `password`, `signature`...)
are masked in any text, registered or not, since a URL is what an error message most often quotes.
"""

from __future__ import annotations

import re
from urllib.parse import quote

MASK = "***"
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
