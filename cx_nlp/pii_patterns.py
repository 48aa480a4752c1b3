"""The pattern detectors of `cx_nlp.pii`: each finds the (start, end) spans of one kind of personal data.

E-mail addresses (Unicode and punycode domains, and the spoken "name at host dot com" forms), IBANs
(mod-97), card numbers (Luhn; printed with spaces, hyphens or dots), IP addresses (v4 and v6, checked
by `ipaddress`) and credentials in URL queries (`?token=`, `?access_token=`, `?key=`...). Phone numbers
are in `cx_nlp.pii_phones`, names and street addresses in `cx_nlp.pii_entities`.
"""

from __future__ import annotations

import ipaddress
import re

Span = tuple[int, int]

# -- e-mail addresses ---------------------------------------------------------------------------------

# The @ as written, or as HTML leaves it in a raw payload (&#64;, &#x40;, &commat;), or full-width.
_AT_SIGN = r"(?:@|＠|%40|&#0*64;|&#x0*40;|&commat;)"
# Domain labels of letters and digits in any script; the top-level domain is letters or punycode.
_LABEL = r"[^\W_](?:[\w-]*[^\W_])?"
_TLD = r"(?:[^\W\d_]{2,}|xn--[a-z0-9-]{2,})"
_EMAIL = re.compile(rf"(?<![\w.%+-])[\w.%+'-]+{_AT_SIGN}(?:{_LABEL}\.)+{_TLD}(?![\w-])", re.IGNORECASE)

# "jane dot doe at gmail dot com", "jane(at)example(dot)de", "jane [at] example.co.uk".
_SPOKEN_AT = r"(?:\s*[\(\[\{<]\s*at\s*[\)\]\}>]\s*|\s+at\s+)"
_SPOKEN_DOT = r"(?:\s*[\(\[\{<]\s*dot\s*[\)\]\}>]\s*|\s+dot\s+|\.)"
_COMMON_TLDS = "com|org|net|edu|gov|info|biz|io|co|me|eu|uk|us|ca|au|de|fr|es|it|in|nl|be|ch|at|ie|pt|pl|se|dk|no|fi"
# At most four dots on either side: bounded, so a long run of "a dot a dot ..." cannot make it slow.
_SPOKEN_EMAIL = re.compile(
    rf"(?<![\w.+-])(?P<local>[\w+-]+(?:{_SPOKEN_DOT}[\w+-]+){{0,4}})(?P<at>{_SPOKEN_AT})"
    rf"[^\W_][\w-]*(?:{_SPOKEN_DOT}[^\W_][\w-]*){{0,4}}{_SPOKEN_DOT}(?:{_COMMON_TLDS})(?![\w-])",
    re.IGNORECASE,
)
# Words that stand before a plain "at" in ordinary sentences ("looked at argos dot co dot uk"): such a
# phrase names a website, not a mailbox.
_NOT_A_MAILBOX = frozenset(
    """a an the i we you he she they it me us him her them this that these those my our your his its
    their is are was were be been am and or but not only even also still just then now today online
    here there home work store stores shop shops shopped shopping site website page app look looked
    looking arrived arrive arriving bought buy buying ordered order orders sold sell selling listed
    cheaper price prices priced available availability deal deals offer offers directly elsewhere
    somewhere everywhere back up out off go went going got get gets stay stayed stopped both all
    everything anything something nothing one two once twice again eventually finally items item
    checkout paid pay payment returned return returns delivered delivery collected collect""".split()
)


def email_spans(text: str) -> list[Span]:
    spans = [m.span() for m in _EMAIL.finditer(text)]
    for match in _SPOKEN_EMAIL.finditer(text):
        if _overlaps(match.span(), spans):
            continue
        written_at = match.group("at").strip().lower() == "at"
        if written_at and match.group("local").lower() in _NOT_A_MAILBOX:
            continue
        if written_at and "dot" not in match.group().lower() and "." not in match.group("local"):
            # "name at host.com" without any spoken part: only with a cue that an address follows.
            if not re.search(r"(?i)\b(?:e-?mail|mail|write|reach|contact|reply)\b[^.!?]{0,40}$", text[: match.start()]):
                continue
        spans.append(match.span())
    return spans


# -- IBANs --------------------------------------------------------------------------------------------

# Country code, two check digits, then the BBAN either unbroken or in printed groups of four.
_IBAN_CANDIDATE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b", re.IGNORECASE)
# Exact lengths from the SWIFT IBAN registry for the countries our customers bank in; any other
# country falls back to the general bound so an IBAN from elsewhere is still redacted.
_IBAN_LENGTH_BY_COUNTRY = {
    "AD": 24, "AT": 20, "BE": 16, "BG": 22, "CH": 21, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "EE": 20,
    "ES": 24, "FI": 18, "FR": 27, "GB": 22, "GI": 23, "GR": 27, "HR": 21, "HU": 28, "IE": 22, "IS": 26,
    "IT": 27, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MT": 31, "NL": 18, "NO": 15, "PL": 28,
    "PT": 25, "RO": 24, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "TR": 26,
}  # fmt: skip
_IBAN_LENGTH_BOUNDS = range(15, 35)


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


def iban_spans(text: str) -> list[Span]:
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


# -- card numbers -------------------------------------------------------------------------------------

# Card numbers are printed either unbroken or in groups of three or more digits (4-4-4-4, Amex 4-6-5),
# separated by spaces, hyphens or dots; requiring that shape keeps lists of small numbers from being
# read as one card. A leading + or - belongs to a phone number or a reference, a leading dot to a
# decimal, never to a card; and no card number starts with 0 ("0044 7911 123456" is a phone).
_CARD_SEPARATORS = " .\u00a0\u202f-"
_CARD_CANDIDATE = re.compile(rf"(?<![\w+.-])[1-9]\d{{2,18}}(?:[{_CARD_SEPARATORS}]\d{{3,19}})*(?![\w-]|\.\d)")
_CARD_DIGITS = range(13, 20)


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


def card_spans(text: str) -> list[Span]:
    spans = []
    for match in _CARD_CANDIDATE.finditer(text):
        digits = re.sub(rf"[{_CARD_SEPARATORS}]", "", match.group())
        if len(digits) in _CARD_DIGITS and luhn_valid(digits):
            spans.append(match.span())
    return spans


# -- IP addresses -------------------------------------------------------------------------------------

_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
_IPV4 = re.compile(rf"(?<![\w.]){_OCTET}(?:\.{_OCTET}){{3}}(?![\w]|\.\d)")
# A run of hex groups with at least two colons (times such as 14:30:00 fail the check below).
_IPV6_CANDIDATE = re.compile(r"(?<![\w:])(?=[0-9A-Fa-f.]*:[0-9A-Fa-f.]*:)[0-9A-Fa-f:.]{2,45}(?:%[\w.]+)?(?![\w:])")
# "version 5.4.0.12", "build 1.2.3.4": four-part version numbers, not hosts.
_VERSION_BEFORE = re.compile(r"(?i)(?:\bv|\bver\.?|\bversion|\bbuild|\brelease)\s*$")


def ip_spans(text: str) -> list[Span]:
    """IPv6 first, so an IPv4 inside one (`::ffff:192.0.2.128`) goes with it."""
    spans: list[Span] = []
    for match in _IPV6_CANDIDATE.finditer(text):
        candidate = match.group().rstrip(".")
        try:
            ipaddress.IPv6Address(candidate.split("%", 1)[0])
        except ValueError:
            continue
        spans.append((match.start(), match.start() + len(candidate)))
    for match in _IPV4.finditer(text):
        if not _overlaps(match.span(), spans) and not _VERSION_BEFORE.search(
            text[max(0, match.start() - 12) : match.start()]
        ):
            spans.append(match.span())
    return spans


# -- credentials in URL queries -----------------------------------------------------------------------

# A query or fragment parameter and its value; the value is redacted when the name says it is a
# credential (access_token, accessToken, X-Amz-Signature, apiKey, session_id...).
_URL_PARAMETER = re.compile(r"[?&;#](?P<name>[\w.\-\[\]]{1,64})=(?P<value>[^&#\s'\"<>]+)")
_CREDENTIAL_WORDS = frozenset(
    "key apikey token secret password passwd pwd pass signature sig auth authorization credential "
    "credentials session sessionid sid jwt otp".split()
)


def _words_of(name: str) -> list[str]:
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name)
    return [word for word in re.split(r"[\W_]+", spaced.lower()) if word]


def url_token_spans(text: str) -> list[Span]:
    """The values (not the names) of credential parameters, so `?token=[TOKEN]` still reads as a link."""
    return [
        match.span("value")
        for match in _URL_PARAMETER.finditer(text)
        if _CREDENTIAL_WORDS.intersection(_words_of(match.group("name")))
    ]


def _overlaps(span: Span, spans: list[Span]) -> bool:
    return any(span[0] < end and start < span[1] for start, end in spans)
