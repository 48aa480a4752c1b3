import pytest

from cx_nlp.pii import Redaction, iban_valid, luhn_valid, redact_pii


def test_email_is_redacted_and_counted():
    result = redact_pii("Please reply to jane.doe+cx@example.co.uk today.")

    assert result == Redaction(text="Please reply to [EMAIL] today.", counts={"email": 1})


@pytest.mark.parametrize(
    "card",
    ["4111 1111 1111 1111", "4111-1111-1111-1111", "5555555555554444", "3782 822463 10005"],
)
def test_luhn_valid_card_numbers_are_redacted(card):
    result = redact_pii(f"I paid with {card} yesterday")

    assert result.text == "I paid with [CARD] yesterday"
    assert result.counts == {"card": 1}


def test_luhn_invalid_sixteen_digit_number_is_kept():
    text = "My reference is 4111 1111 1111 1112 and 1234567812345678"

    result = redact_pii(text)

    assert result.text == text
    assert result.counts == {}


@pytest.mark.parametrize(
    "iban",
    [
        "GB82 WEST 1234 5698 7654 32",
        "GB82WEST12345698765432",
        "DE89 3704 0044 0532 0130 00",
        "FR14 2004 1010 0505 0001 3M02 606",
        "NL91 ABNA 0417 1643 00",
    ],
)
def test_valid_ibans_are_redacted(iban):
    result = redact_pii(f"Refund to {iban} please")

    assert result.text == "Refund to [IBAN] please"
    assert result.counts == {"iban": 1}


def test_iban_followed_by_a_four_letter_word_keeps_the_word():
    result = redact_pii("Use NL91 ABNA 0417 1643 00 THEN call")

    assert result.text == "Use [IBAN] THEN call"


@pytest.mark.parametrize(
    "not_an_iban",
    [
        "GB82 WEST 1234 5698 7654 33",  # check digits wrong
        "GB82 WEST 1234 5698 7654",  # too short for GB
    ],
)
def test_invalid_ibans_are_kept(not_an_iban):
    text = f"Refund to {not_an_iban} please"

    assert redact_pii(text) == Redaction(text=text, counts={})


@pytest.mark.parametrize(
    "phone",
    ["+44 20 7946 0958", "07911 123456", "+49 30 901820", "+1 415 555 2671", "(212) 555-0123"],
)
def test_phone_numbers_are_redacted(phone):
    result = redact_pii(f"Call me on {phone} after work")

    assert result.text == "Call me on [PHONE] after work"
    assert result.counts == {"phone": 1}


def test_default_region_reads_national_numbers():
    assert redact_pii("Ruf an: 030 901820", default_region="DE").text == "Ruf an: [PHONE]"
    assert redact_pii("Ruf an: 030 901820", default_region="GB").text == "Ruf an: 030 901820"


def test_several_kinds_are_counted_separately():
    text = (
        "Email a@b.com or c@d.org, call +44 20 7946 0958 or (212) 555-0123, "
        "card 4111 1111 1111 1111, iban DE89 3704 0044 0532 0130 00."
    )

    result = redact_pii(text)

    assert result.text == ("Email [EMAIL] or [EMAIL], call [PHONE] or [PHONE], card [CARD], iban [IBAN].")
    assert result.counts == {"email": 2, "phone": 2, "card": 1, "iban": 1}


def test_iban_digits_are_not_taken_for_a_card():
    # The first sixteen BBAN digits of this IBAN are Luhn-valid on their own, so running the card
    # pass first would leave "DE08 [CARD] 00".
    assert luhn_valid("3704004405320131")

    result = redact_pii("DE08 3704 0044 0532 0131 00")

    assert result == Redaction(text="[IBAN]", counts={"iban": 1})


@pytest.mark.parametrize(
    "text",
    [
        "Delivery moved to 2026-10-21 at 14:30.",
        "It cost £120.00 ({$120.00}) in the end.",
        "Still no news on order 100234 or #A-55821.",
        "On XX/XX/XXXX I called XXXX and was told XXXX XXXX.",
        "Ticket 20261021 logged at 09:15, 3 items, 2 returned.",
    ],
)
def test_ordinary_numbers_and_placeholders_are_left_byte_identical(text):
    assert redact_pii(text) == Redaction(text=text, counts={})


def test_check_digit_helpers():
    assert luhn_valid("4111111111111111")
    assert not luhn_valid("4111111111111112")
    assert iban_valid("GB82WEST12345698765432")
    assert not iban_valid("GB82WEST1234569876543")


@pytest.mark.parametrize("number", ["+44 7700 900218", "07700 900873", "(555) 014-2297", "+1 (555) 014-2297"])
def test_phone_shaped_numbers_in_reserved_ranges_are_redacted(number):
    result = redact_pii(f"Please call me back on {number} after five.")
    assert result.text == "Please call me back on [PHONE] after five."
    assert result.counts == {"phone": 1}


@pytest.mark.parametrize("text", ["Order NW-4855631 never came", "Reference 1234567890 is mine", "Ticket #A-55821"])
def test_references_are_not_taken_for_phones(text):
    assert redact_pii(text).text == text
