"""Redact personal data before it is stored, embedded or shown in reports.

What is redacted, each kind by a fixed placeholder, and counted so the warehouse can record how much
was removed without keeping any of it:

- always: e-mail addresses `[EMAIL]` (Unicode and punycode domains, "name at host dot com"), IBANs
  `[IBAN]` (mod-97-checked), card numbers `[CARD]` (Luhn-checked; spaces, hyphens or dots), IP
  addresses `[IP]` (v4 and v6), credentials in URL queries (`?token=[TOKEN]`) and phone numbers
  `[PHONE]` (`cx_nlp.pii_phones`: international, and the national formats of PHONE_REGIONS);
- optionally (`CX_PII_NAMES=1`, the setting `pii_names`): people's names `[NAME]` and street
  addresses `[ADDRESS]` (`cx_nlp.pii_entities`, a packaged spaCy model).

Where: `redact_pii` on every verbatim (the normalise stage), `redact_payload` on the raw and
quarantined payloads the warehouse keeps (every string value, except the record's identifier), and
`redact_metadata` on feedback metadata, where values under keys that hold a person (`author`,
`reviewer`, `from`...) become `[NAME]` whatever they say. Everything that is not redacted is left
exactly as it was: the redacted text is what the models read.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from cx_nlp import pii_entities
from cx_nlp.pii_patterns import (
    card_spans,
    email_spans,
    iban_spans,
    iban_valid,
    ip_spans,
    luhn_valid,
    url_token_spans,
)
from cx_nlp.pii_phones import phone_spans

__all__ = ["Redaction", "iban_valid", "luhn_valid", "names_enabled", "redact_metadata", "redact_payload", "redact_pii"]

Span = tuple[int, int]


@dataclass(frozen=True)
class Redaction:
    text: str
    counts: dict[str, int]


@lru_cache(maxsize=4)
def _names_setting(raw: str) -> bool:
    from cx_nlp.settings import Settings

    return Settings().pii_names


def names_enabled() -> bool:
    """The `pii_names` setting (environment CX_PII_NAMES): is the optional name detector on?"""
    return _names_setting(os.environ.get("CX_PII_NAMES", ""))


def _replace_spans(text: str, spans: list[Span], placeholder: str) -> str:
    pieces, previous_end = [], 0
    for start, end in sorted(spans):
        pieces.append(text[previous_end:start])
        pieces.append(placeholder)
        previous_end = end
    pieces.append(text[previous_end:])
    return "".join(pieces)


def _passes(default_region: str, names: bool) -> list[tuple[str, str, Callable[[str], list[Span]]]]:
    """(kind, placeholder, finder) in the order they run. The order matters: URL credentials first (a
    token can hold anything), e-mail addresses next; IBANs before cards because the digits inside an
    IBAN can form a Luhn-valid run; IPs, cards and IBANs before phones so a long account number is not
    read as a phone; names and addresses last, on text whose numbers are already placeholders."""
    passes = [
        ("url_token", "[TOKEN]", url_token_spans),
        ("email", "[EMAIL]", email_spans),
        ("iban", "[IBAN]", iban_spans),
        ("card", "[CARD]", card_spans),
        ("ip", "[IP]", ip_spans),
        ("phone", "[PHONE]", lambda text: phone_spans(text, default_region)),
    ]
    if names:
        passes += [("address", "[ADDRESS]", pii_entities.address_spans), ("name", "[NAME]", pii_entities.name_spans)]
    return passes


def redact_pii(text: str, default_region: str = "GB", names: bool | None = None) -> Redaction:
    """Replace the personal data this module lists with placeholders; `names` defaults to the setting.

    Cards and IBANs must pass their check digits, so order numbers and references survive; so do
    prices, dates, times, postcodes and ordinary counts.
    """
    counts: dict[str, int] = {}
    for kind, placeholder, find_spans in _passes(default_region, names_enabled() if names is None else names):
        spans = find_spans(text)
        if spans:
            text = _replace_spans(text, spans, placeholder)
            counts[kind] = len(spans)
    return Redaction(text=text, counts=counts)


# -- structured values: raw payloads and metadata --------------------------------------------------------

# Keys whose value is a person or a way to reach one: replaced whole, whatever it looks like. A bare
# `name` is not among them: APIs use it for resource paths and products too (a person's `name` sits
# under `author`, `reviewer`, `user`... and goes with it).
_PERSON_KEYS = frozenset(
    "author reviewer reviewer_name full_name first_name last_name given_name family_name surname display_name "
    "nickname username user_name user customer customer_name consumer requester requester_name submitter sender "
    "recipient from to cc bcc reply_to contact_name agent_name".split()
)
_CONTACT_KEYS = {
    "email": "[EMAIL]", "e_mail": "[EMAIL]", "email_address": "[EMAIL]", "mail": "[EMAIL]",
    "phone": "[PHONE]", "phone_number": "[PHONE]", "telephone": "[PHONE]", "tel": "[PHONE]",
    "mobile": "[PHONE]", "cell": "[PHONE]", "address": "[ADDRESS]", "street": "[ADDRESS]",
    "street_address": "[ADDRESS]", "address_line1": "[ADDRESS]", "address_line2": "[ADDRESS]",
    "home_address": "[ADDRESS]", "shipping_address": "[ADDRESS]", "billing_address": "[ADDRESS]",
    "ip": "[IP]", "ip_address": "[IP]", "remote_addr": "[IP]", "client_ip": "[IP]",
    "card_number": "[CARD]", "pan": "[CARD]", "iban": "[IBAN]", "bank_account": "[IBAN]",
}  # fmt: skip
# Mail headers name a person only when they hold an address ({"from": "2026-10-01"} is a date range).
_MAIL_HEADERS = frozenset("from to cc bcc reply_to sender recipient".split())
# Identifiers stay as delivered: record keys and external ids are read from them.
_IDENTIFIER = re.compile(r"(?:^|_)(?:id|uuid|guid)$")


def _key_name(key: object) -> str:
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", str(key))
    return re.sub(r"[\W_]+", "_", spaced).strip("_").lower()


def _replace_leaves(value: Any, placeholder: str, counts: dict[str, int], kind: str) -> Any:
    """Every leaf replaced by `placeholder`, but the identifiers inside (`requester.id`): rows still join."""
    if isinstance(value, dict):
        return {
            k: v if _IDENTIFIER.search(_key_name(k)) else _replace_leaves(v, placeholder, counts, kind)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [_replace_leaves(v, placeholder, counts, kind) for v in value]
    if value is None or value == "" or isinstance(value, bool):
        return value
    counts[kind] = counts.get(kind, 0) + 1
    return placeholder


def _redact_value(value: Any, key: str, counts: dict[str, int], names: bool) -> Any:
    if key in _PERSON_KEYS and not (key in _MAIL_HEADERS and isinstance(value, str) and "@" not in value):
        return _replace_leaves(value, "[NAME]", counts, "name")
    if key in _CONTACT_KEYS:
        placeholder = _CONTACT_KEYS[key]
        return _replace_leaves(value, placeholder, counts, placeholder.strip("[]").lower())
    if isinstance(value, dict):
        return {k: _redact_value(v, _key_name(k), counts, names) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_redact_value(v, key, counts, names) for v in value]
    if isinstance(value, str) and not _IDENTIFIER.search(key):
        redaction = redact_pii(value, names=names and " " in value.strip())
        for kind, count in redaction.counts.items():
            counts[kind] = counts.get(kind, 0) + count
        return redaction.text
    return value


def redact_payload(payload: dict, keep: Collection[str] = (), names: bool | None = None) -> dict:
    """A copy of a raw payload with personal data redacted in every string value, at any depth.

    The top-level keys in `keep` (the source's id column) and identifier keys (`id`, `*_id`) stay as
    delivered; numbers, booleans and dates stay too, except under a key that holds a person or a
    contact (`author`, `email`, `phone`...), whose whole value is replaced. The record's key is the
    hash of the payload as delivered (computed before this), so reruns still land on the same row.
    """
    names = names_enabled() if names is None else names
    counts: dict[str, int] = {}
    return {k: v if k in keep else _redact_value(v, _key_name(k), counts, names) for k, v in payload.items()}


def redact_metadata(metadata: dict, names: bool | None = None) -> dict:
    """Feedback metadata with the payload rules: free text redacted, people's names kept out."""
    return redact_payload(metadata, names=names)
