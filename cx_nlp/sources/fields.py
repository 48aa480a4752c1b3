"""What every source checks, with one wording: raw-row keys, ids, text, dates, ratings, names and formats.

Light on purpose (records are only named in annotations): the source config models use the name
and format rules, and `cx_nlp.config` loads those models without pulling in any reader.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cx_nlp.records import QuarantinedRecord

# What a source's name may look like: it becomes part of every feedback id and a bookmark key.
SOURCE_NAME = r"^[a-z][a-z0-9_]*$"
# The longest id the warehouse keeps (its external_id columns).
MAX_ID_CHARS = 200
# What no warehouse stores as text: PostgreSQL rejects NUL in text and jsonb, and lone surrogates are
# no Unicode at all (they come from undecodable bytes, or a JSON escape such as "\ud83d" alone).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def unstorable(text: str) -> str | None:
    """What in `text` no warehouse can store, as a reason says it ("a NUL character"), or None."""
    found = _UNSTORABLE.search(text)
    if found is None:
        return None
    return "a NUL character" if found.group() == "\x00" else f"a lone surrogate (U+{ord(found.group()):04X})"


def storable_text(text: str) -> str:
    """`text` with what no warehouse can store (NUL, lone surrogates) shown as U+FFFD."""
    return _UNSTORABLE.sub("\ufffd", text)


def not_unicode(text: str) -> str | None:
    """Why `text` is not valid Unicode text (a lone surrogate), or None; NUL is a character cleaning drops."""
    found = _SURROGATE.search(text)
    return None if found is None else f"text with a lone surrogate (U+{ord(found.group()):04X}), not valid Unicode"


def _as_json(value: object) -> str:
    shown = json.dumps(value, ensure_ascii=False, default=str)
    return shown if len(shown) <= 60 else shown[:57] + "..."


def id_text(value: object) -> tuple[str, str | None]:
    """An id value as text, and why it is no id (None when it is one; "" and None are a missing id).

    Strings and integers are ids (0 too), and finite numbers as they print; a boolean, an object or
    an array is not: `true` as an id would make every such record one, an object its Python repr.
    """
    if value is None:
        return "", None
    if isinstance(value, bool):
        return "", f"id {_as_json(value)} is a boolean, not an id"
    if isinstance(value, (dict, list)):
        kind = "a JSON object" if isinstance(value, dict) else "a JSON array"
        return "", f"id {_as_json(value)} is {kind}, not an id"
    if isinstance(value, float) and not math.isfinite(value):
        return "", f"id {value} is not a number"
    return str(value).strip(), None


def id_problem(external_id: str) -> str | None:
    """Why the warehouse cannot keep `external_id` as a record's id, or None."""
    if len(external_id) > MAX_ID_CHARS:
        return f"id of {len(external_id)} characters, longer than the {MAX_ID_CHARS} the warehouse keeps"
    problem = unstorable(external_id)
    return f"id with {problem}, which no warehouse stores" if problem else None


def text_value(value: object) -> tuple[str, str | None]:
    """A text field's value as text, and why it is no text (an object, an array, a boolean), or None."""
    if value is None:
        return "", None
    if isinstance(value, dict):
        return "", "text is a JSON object, not text"
    if isinstance(value, list):
        return "", "text is a JSON array, not text"
    if isinstance(value, bool):
        return "", "text is a boolean, not text"
    return str(value), None


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
    text: object,
    title: object = "",
    created_at_field: str,
    created_at: object,
    date_format: str | None = None,
    rating_field: str | None = None,
    rating: object = None,
    rating_range: tuple[float, float] | None = None,
) -> tuple[str, str, datetime, float | None] | QuarantinedRecord:
    """The checks every source applies, with one wording: (id, text, created_at, rating) or a rejection.

    `unnamed` says where a record without an id sits (its row, or its payload key), so the
    quarantine reason still points at it. `text` and `title` may be raw payload values: an object or
    an array there is quarantined, not loaded as its Python repr.
    """
    external_id, not_an_id = id_text(id_value)
    if not_an_id:
        return reject(id_field, f"{unnamed}: {not_an_id}")
    if not external_id:
        return reject(id_field, f"{unnamed}: missing id")
    where = f"record {external_id!r}"
    bad_id = id_problem(external_id)
    if bad_id:
        return reject(id_field, f"{unnamed if len(external_id) > MAX_ID_CHARS else where}: {bad_id}")

    (body, not_text), (heading, heading_not_text) = text_value(text), text_value(title)
    if not_text or heading_not_text:
        return reject(text_field, f"{where}: {not_text or heading_not_text}")
    body, heading = body.strip(), heading.strip()
    combined = f"{heading}. {body}" if heading and body else (heading or body)
    if not combined:
        return reject(text_field, f"{where}: empty text")
    invalid = not_unicode(combined)
    if invalid:
        return reject(text_field, f"{where}: {invalid}")

    created = parse_timestamp(created_at, date_format)
    if created is None:
        return reject(created_at_field, f"{where}: unparseable date {created_at!r}")

    value = None
    if rating_field and rating not in (None, ""):
        value, wrong = _rating(rating, rating_range)
        if wrong:
            return reject(rating_field, f"{where}: {wrong}")
    return external_id, combined, created, value


def _rating(rating: object, rating_range: tuple[float, float] | None) -> tuple[float | None, str | None]:
    """A rating as a number, or why it is none (not finite, a boolean, an object) or out of range."""
    try:
        value = math.nan if isinstance(rating, bool) else float(rating)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        value = math.nan
    if not math.isfinite(value):
        return None, f"rating {rating!r} is not a number"
    if rating_range and not rating_range[0] <= value <= rating_range[1]:
        low, high = rating_range
        return None, f"rating {rating!r} outside {low:g}..{high:g}"
    return value, None


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
    try:
        return parsed.astimezone(UTC)
    except OverflowError:  # 9999-12-31T23:00:00-05:00 is past the last datetime in UTC
        return None


def iso_timestamp(value: object, date_format: str | None = None) -> str | None:
    """`parse_timestamp` written as ISO 8601 text, as payloads carry dates (None when it does not parse)."""
    parsed = parse_timestamp(value, date_format)
    return parsed.isoformat() if parsed else None
