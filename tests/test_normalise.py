import pytest

from cx_nlp.normalise import clean_text, content_hash, detect_language


def test_html_ticket_body_becomes_plain_text():
    raw = (
        "<html><head><title>Ticket</title><style>p { color: red }</style></head><body>"
        "<p>Hello,</p><div>My parcel&nbsp;never\n   arrived.<br>Order #A-55821</div>"
        "<ul><li>Box damaged</li><li>Late</li></ul>"
        "<script>track('open')</script></body></html>"
    )

    assert clean_text(raw) == "Hello, My parcel never arrived. Order #A-55821 Box damaged Late"


def test_block_tags_separate_words():
    assert clean_text("<div>late</div><div>again</div>") == "late again"
    assert clean_text("first<br>second") == "first second"


def test_entities_are_unescaped_in_plain_text():
    assert clean_text("Fish &amp; chips &lt;cold&gt; &#8211; &quot;again&quot;") == ('Fish & chips <cold> – "again"')


def test_quoted_reply_after_wrote_line_is_stripped():
    raw = (
        "The refund still has not arrived.\r\n\r\n"
        "On Tue, 21 Oct 2026 at 14:30, Support <help@shop.example> wrote:\r\n"
        "> Dear customer, your refund is on its way.\r\n"
        "> Kind regards"
    )

    assert clean_text(raw) == "The refund still has not arrived."


def test_quoted_lines_and_original_message_are_stripped():
    raw = "I agree\n> you said it was shipped\nbut it was not.\n-----Original Message-----\nFrom: Support"

    assert clean_text(raw) == "I agree but it was not."


def test_signature_after_delimiter_is_stripped():
    raw = "Please call me back.\n-- \nJane Doe\nHead of Purchasing, ACME Ltd\n+44 20 7946 0958"

    assert clean_text(raw) == "Please call me back."


def test_html_email_with_signature_and_gmail_quote():
    raw = (
        "<div>App keeps crashing</div><div>--</div><div>Jane</div>"
        '<div class="gmail_quote">On Mon wrote:<blockquote class="gmail_quote">old</blockquote></div>'
    )

    assert clean_text(raw) == "App keeps crashing"


def test_unicode_is_nfkc_normalised_and_invisible_characters_removed():
    raw = "Ｔｈｅ\u00a0app\u200b crashed\u200d\x07 twice\ufeff \t\n  today "

    assert clean_text(raw) == "The app crashed twice today"


def test_text_without_markup_keeps_its_words():
    assert clean_text("  Great   service,\nthanks!  ") == "Great service, thanks!"


def test_content_hash_ignores_case_spacing_and_end_punctuation():
    assert content_hash("Great service, thanks!") == content_hash("  great   SERVICE,\nthanks ")


def test_content_hash_differs_for_different_texts():
    assert content_hash("Great service") != content_hash("Poor service")
    assert content_hash("not late") != content_hash("late")


def test_content_hash_is_sha256_hex():
    digest = content_hash("anything")

    assert len(digest) == 64
    assert int(digest, 16) >= 0


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("The delivery arrived three days late and the box was damaged", "en"),
        ("La livraison est arrivée avec trois jours de retard et le colis était abîmé", "fr"),
        ("Die Lieferung kam drei Tage zu spät und das Paket war leider beschädigt", "de"),
        ("El pedido llegó tres días tarde y la caja estaba dañada por completo", "es"),
    ],
)
def test_detect_language_of_short_sentences(text, language):
    code, confidence = detect_language(text)

    assert code == language
    assert 0.5 < confidence <= 1.0


@pytest.mark.parametrize("text", ["ok", "", "12345 678", "ok thanks"])
def test_too_little_text_is_undetermined(text):
    assert detect_language(text) == ("und", 0.0)
