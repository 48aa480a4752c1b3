"""Phone numbers in feedback, in international and national formats of the markets in PHONE_REGIONS.

libphonenumber (`phonenumbers`) finds the candidates and knows each country's numbering plan. A
national number is taken as a phone where it is written the way that country writes phone numbers:

- with a trunk prefix (`07911 123456`, `0151 23456789`, `030 12345678`, `06 12 34 56 78`): any
  region where it is a valid number, or phone-shaped (10+ digits with separators) where it is only
  possible, since a customer who writes `07700 900218` has written a phone number even in a range
  reserved for drama;
- without one, only where the country writes its numbers so (`(212) 555-0123`, `212-555-0123`;
  Indian mobiles `98765 43210` and `9876543210`; Spanish `612 345 678`; Italian mobiles
  `347 123 4567`), the number is valid there, and no reference noun stands right before it
  ("order 9876543210", "tracking no. 612345678" are references).

Everything with `+` or `00` in front is international and taken when valid or phone-shaped.
"""

from __future__ import annotations

import re

import phonenumbers

Span = tuple[int, int]

# The markets whose national formats are recognised; the caller's default region is tried first.
PHONE_REGIONS = ("GB", "US", "DE", "FR", "IN", "ES", "IT", "IE", "NL")

# How numbers are written without a trunk prefix, per region that does so.
_SEP = r"[\s.\-]?"
_WITHOUT_TRUNK = {
    "US": re.compile(rf"^(?:\+?1{_SEP})?(?:\(\d{{3}}\)\s?|\d{{3}}{_SEP})\d{{3}}{_SEP}\d{{4}}$"),
    "IN": re.compile(r"^[6-9]\d{4}[\s\-]?\d{5}$"),
    "ES": re.compile(
        rf"^(?:[6-9]\d{{2}}{_SEP}\d{{3}}{_SEP}\d{{3}}|[6-9]\d{{2}}(?:{_SEP}\d{{2}}){{3}}|[89]\d{_SEP}\d{{3}}(?:{_SEP}\d{{2}}){{2}})$"
    ),
    "IT": re.compile(rf"^3\d{{2}}{_SEP}\d{{3,4}}{_SEP}\d{{3,4}}$"),
}
_INDIAN_MOBILE_TYPES = {phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE}
# A reference noun right before a bare number makes it a reference, not a phone.
_REFERENCE_BEFORE = re.compile(
    r"(?i)(?:\b(?:order|orders|ref|reference|ticket|invoice|tracking|case|account|acct|booking|confirmation|"
    r"customer|member|membership|loyalty|policy|parcel|consignment|receipt|transaction|serial|sku|item|"
    r"product|model|article)\b(?:\s+(?:no|nr|number|num|id|ref|code)\b\.?)?|#|\bno\.|\bnr\.)[\s:.#-]*$"
)
_DATE_LIKE = re.compile(r"^\d{1,4}[./-]\d{1,2}[./-]\d{1,4}$")
_PHONE_SHAPE = re.compile(r"^(?:\+|\(|0)[\d\s().\-/]+$")
# Seven digits close together: below that nothing can be a phone number, and the matcher is skipped.
_CANDIDATE = re.compile(r"\d(?:[\s().\-/]{0,3}\d){6,}")


def phone_shaped(raw: str) -> bool:
    """Written like a phone number: starts with +, ( or a trunk 0, has separators and 10+ digits.

    Order and ticket numbers are written as one run of digits or with letters, so they fail this.
    """
    digits = sum(ch.isdigit() for ch in raw)
    return bool(_PHONE_SHAPE.match(raw)) and digits >= 10 and any(ch in raw for ch in " -.()/")


def _worth_matching(text: str) -> bool:
    return any(not _DATE_LIKE.match(m.group()) for m in _CANDIDATE.finditer(text))


def _is_phone(text: str, match: phonenumbers.PhoneNumberMatch, region: str) -> bool:
    raw, number = match.raw_string.strip(), match.number
    if _DATE_LIKE.match(raw):
        return False
    if raw.startswith(("+", "00", "0", "(0")):
        return phonenumbers.is_valid_number(number) or phone_shaped(raw)
    shape = _WITHOUT_TRUNK.get(region)
    if shape is None or not shape.match(raw):
        return False
    if not phonenumbers.is_valid_number(number):
        # "(555) 014-2297": a US number in a range reserved for fiction, written as a phone number.
        return region == "US" and raw.startswith("(") and phone_shaped(raw)
    if region == "IN" and phonenumbers.number_type(number) not in _INDIAN_MOBILE_TYPES:
        return False
    return not _REFERENCE_BEFORE.search(text[max(0, match.start - 40) : match.start])


def phone_spans(text: str, default_region: str = "GB") -> list[Span]:
    if not _worth_matching(text):
        return []
    found: list[Span] = []
    for region in dict.fromkeys([default_region.upper(), *PHONE_REGIONS]):
        matcher = phonenumbers.PhoneNumberMatcher(text, region, leniency=phonenumbers.Leniency.POSSIBLE)
        found.extend((m.start, m.end) for m in matcher if _is_phone(text, m, region))
    # Regions can find the same number, or overlapping parts of one; keep the widest so each number is
    # replaced once.
    spans: list[Span] = []
    for start, end in sorted(found, key=lambda span: (span[0], -span[1])):
        if spans and start < spans[-1][1]:
            spans[-1] = (spans[-1][0], max(spans[-1][1], end))
        else:
            spans.append((start, end))
    return spans
