"""What every source checks, with one wording: raw-row keys, ids, text, dates, ratings, names and formats.

Light on purpose (records are only named in annotations): the source config models use the name
and format rules, and `cx_nlp.config` loads those models without pulling in any reader.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cx_nlp.records import QuarantinedRecord

# What a source's name may look like: it becomes part of every feedback id and a bookmark key.
SOURCE_NAME = r"^[a-z][a-z0-9_]*$"


def infer_format(path: Path, formats: tuple[str, ...]) -> str:
    """The export format named by the file's suffix, one of `formats`; a ValueError says how to set it."""
    suffix = path.suffix.lower().lstrip(".")
    if suffix not in formats:
        raise ValueError(f"cannot infer format from {path.name!r}; set format: {'|'.join(formats)}")
    return suffix


def payload_key(payload: dict) -> str:
    """Stable key of a raw row: the same row delivered twice lands once; an edited row lands again."""
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8", errors="surrogatepass")).hexdigest()[:32]


def dig(payload: dict, path: str) -> Any:
    """Value at a dotted path (`via.channel`), None where any step is missing."""
    value: Any = payload
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def check_fields(
    reject: Callable[[str, str], QuarantinedRecord],
    *,
    unnamed: str,
    id_field: str,
    id_value: object,
    text_field: str,
    text: str,
    title: str = "",
    created_at_field: str,
    created_at: object,
    date_format: str | None = None,
    rating_field: str | None = None,
    rating: object = None,
    rating_range: tuple[float, float] | None = None,
) -> tuple[str, str, datetime, float | None] | QuarantinedRecord:
    """The checks every source applies, with one wording: (id, text, created_at, rating) or a rejection.

    `unnamed` says where a record without an id sits (its row, or its payload key), so the
    quarantine reason still points at it.
    """
    external_id = str(id_value or "").strip()
    if not external_id:
        return reject(id_field, f"{unnamed}: missing id")
    where = f"record {external_id!r}"

    body, title = (text or "").strip(), (title or "").strip()
    combined = f"{title}. {body}" if title and body else (title or body)
    if not combined:
        return reject(text_field, f"{where}: empty text")

    created = parse_timestamp(created_at, date_format)
    if created is None:
        return reject(created_at_field, f"{where}: unparseable date {created_at!r}")

    value = None
    if rating_field and rating not in (None, ""):
        try:
            value = float(rating)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return reject(rating_field, f"{where}: rating {rating!r} is not a number")
        if rating_range and not rating_range[0] <= value <= rating_range[1]:
            low, high = rating_range
            return reject(rating_field, f"{where}: rating {rating!r} outside {low:g}..{high:g}")
    return external_id, combined, created, value


def parse_timestamp(value: object, date_format: str | None = None) -> datetime | None:
    """Parse to an aware UTC datetime; naive values are taken as UTC, bare dates as midnight."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        parsed = datetime.combine(value, time.min)
    else:
        text = str(value or "").strip()
        if not text:
            return None
        try:
            parsed = datetime.strptime(text, date_format) if date_format else datetime.fromisoformat(text)
        except ValueError:
            return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def iso_timestamp(value: object, date_format: str | None = None) -> str | None:
    """`parse_timestamp` written as ISO 8601 text, as payloads carry dates (None when it does not parse)."""
    parsed = parse_timestamp(value, date_format)
    return parsed.isoformat() if parsed else None
