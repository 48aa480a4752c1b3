"""Redact personal data from verbatims before they are stored, embedded or shown in reports.

Each kind is replaced by a fixed placeholder (`[EMAIL]`, `[CARD]`, `[IBAN]`, `[PHONE]`) and
counted, so the warehouse can record how much was removed without keeping any of it. Everything
that is not redacted is left exactly as it was: the redacted text is what the models read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers


@dataclass(frozen=True)
class Redaction:
    text: str
    counts: dict[str, int]


_EMAIL = re.compile(r"(?<![\w.%+-])[\w.%+-]+@(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,}(?![\w-])")

# Card numbers are printed either unbroken or in groups of three or more digits (4-4-4-4,
# Amex 4-6-5); requiring that shape keeps lists of small numbers from being read as one card.
# A leading + or - belongs to a phone number or a reference, never to a card.
_CARD_CANDIDATE = re.compile(r"(?<![\w+-])\d{3,19}(?:[ -]\d{3,19})*(?![\w-])")
_CARD_DIGITS = range(13, 20)

# Country code, two check digits, then the BBAN either unbroken or in printed groups of four.
_IBAN_CANDIDATE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b", re.IGNORECASE)
# Exact lengths from the SWIFT IBAN registry for the countries our customers bank in; any other
# country falls back to the general bound so an IBAN from elsewhere is still redacted.
_IBAN_LENGTH_BY_COUNTRY = {
    "AD": 24,
    "AT": 20,
    "BE": 16,
    "BG": 22,
    "CH": 21,
    "CY": 28,
    "CZ": 24,
    "DE": 22,
    "DK": 18,
    "EE": 20,
    "ES": 24,
    "FI": 18,
    "FR": 27,
    "GB": 22,
    "GI": 23,
    "GR": 27,
    "HR": 21,
    "HU": 28,
    "IE": 22,
    "IS": 26,
    "IT": 27,
    "LI": 21,
    "LT": 20,
    "LU": 20,
    "LV": 21,
    "MC": 27,
    "MT": 31,
    "NL": 18,
    "NO": 15,
    "PL": 28,
    "PT": 25,
    "RO": 24,
    "SE": 24,
    "SI": 19,
    "SK": 24,
    "SM": 27,
    "TR": 26,
}
_IBAN_LENGTH_BOUNDS = range(15, 35)

# The matcher's default is the customer's own region; US is always tried as well because US
# formats such as "(212) 555-0123" are common in feedback from every market.
_ALWAYS_TRIED_PHONE_REGION = "US"


def luhn_valid(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def iban_valid(compact: str) -> bool:
    """Length for the country and the ISO 13616 mod-97 check, on an upper-case IBAN without spaces."""
    if not compact.isalnum() or not compact.isascii():
        return False
    expected_length = _IBAN_LENGTH_BY_COUNTRY.get(compact[:2])
    if expected_length is not None and len(compact) != expected_length:
        return False
    if len(compact) not in _IBAN_LENGTH_BOUNDS:
        return False
    rearranged = compact[4:] + compact[:4]
    as_number = "".join(str(int(char, 36)) for char in rearranged)
    return int(as_number) % 97 == 1


def _replace_spans(text: str, spans: list[tuple[int, int]], placeholder: str) -> str:
    pieces, previous_end = [], 0
    for start, end in sorted(spans):
        pieces.append(text[previous_end:start])
        pieces.append(placeholder)
        previous_end = end
    pieces.append(text[previous_end:])
    return "".join(pieces)


def _email_spans(text: str) -> list[tuple[int, int]]:
    return [match.span() for match in _EMAIL.finditer(text)]


def _card_spans(text: str) -> list[tuple[int, int]]:
    spans = []
    for match in _CARD_CANDIDATE.finditer(text):
        digits = re.sub(r"[ -]", "", match.group())
        if len(digits) in _CARD_DIGITS and luhn_valid(digits):
            spans.append(match.span())
    return spans


def _iban_spans(text: str) -> list[tuple[int, int]]:
    spans = []
    for match in _IBAN_CANDIDATE.finditer(text):
        # The candidate pattern can swallow a following word that happens to be four characters
        # long ("... 3201 CASH"), so shorter prefixes ending at a group break are tried too.
        candidate = match.group()
        ends = [len(candidate)] + [i for i in range(len(candidate) - 1, 0, -1) if candidate[i] == " "]
        for end in ends:
            if iban_valid(candidate[:end].replace(" ", "").upper()):
                spans.append((match.start(), match.start() + end))
                break
    return spans


_PHONE_SHAPE = re.compile(r"^(?:\+|\(|0)[\d\s().-]+$")


def _phone_shaped(raw: str) -> bool:
    """Written like a phone number: starts with +, ( or a trunk 0, has separators and 10+ digits.

    Order and ticket numbers are written as one run of digits or with letters, so they fail this.
    """
    digits = sum(ch.isdigit() for ch in raw)
    return bool(_PHONE_SHAPE.match(raw)) and digits >= 10 and any(ch in raw for ch in " -.()")


def _phone_spans(text: str, default_region: str) -> list[tuple[int, int]]:
    regions = dict.fromkeys([default_region.upper(), _ALWAYS_TRIED_PHONE_REGION])
    found = []
    for region in regions:
        matcher = phonenumbers.PhoneNumberMatcher(text, region, leniency=phonenumbers.Leniency.VALID)
        found.extend((match.start, match.end) for match in matcher)
        # Numbers in unassigned or reserved ranges are not VALID for libphonenumber, yet a customer who
        # writes "+44 7700 900218" has still written a phone number: redact anything phone-shaped.
        loose = phonenumbers.PhoneNumberMatcher(text, region, leniency=phonenumbers.Leniency.POSSIBLE)
        found.extend((match.start, match.end) for match in loose if _phone_shaped(match.raw_string))
    # The two regions can find the same number, or overlapping parts of one; keep the first and
    # widest so each number is replaced once.
    spans: list[tuple[int, int]] = []
    for start, end in sorted(found, key=lambda span: (span[0], -span[1])):
        if spans and start < spans[-1][1]:
            spans[-1] = (spans[-1][0], max(spans[-1][1], end))
        else:
            spans.append((start, end))
    return spans


def redact_pii(text: str, default_region: str = "GB") -> Redaction:
    """Replace e-mail addresses, card numbers, IBANs and phone numbers with placeholders.

    Cards and IBANs must pass their check digits, so order numbers and references survive. The
    order of the passes matters: IBANs go before cards because the digits inside an IBAN can form
    a Luhn-valid run, and both go before phones so a long account number is not read as a phone.
    """
    counts: dict[str, int] = {}
    passes = (
        ("email", "[EMAIL]", _email_spans),
        ("iban", "[IBAN]", _iban_spans),
        ("card", "[CARD]", _card_spans),
        ("phone", "[PHONE]", lambda remaining: _phone_spans(remaining, default_region)),
    )
    for kind, placeholder, find_spans in passes:
        spans = find_spans(text)
        if spans:
            text = _replace_spans(text, spans, placeholder)
            counts[kind] = len(spans)
    return Redaction(text=text, counts=counts)
