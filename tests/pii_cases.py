"""Planted personal data for the PII tests: many formats and countries, each in a feedback sentence.

Every value here is made up: phone numbers from ranges reserved for fiction or plainly invented, public
test card numbers, the textbook IBANs, documentation IP ranges, invented names and streets.

`PLANTED` holds the kinds the pipeline always redacts (e-mail, phone, card, IBAN, IP, URL token);
`PLANTED_NAMES` the names and street addresses for the optional detector (`CX_PII_NAMES`). `leaked`
says whether a planted value survives in some text; `CLEAN` are ordinary sentences whose numbers must
come through byte for byte.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Planted:
    kind: str  # email | phone | card | iban | ip | url_token | name | address
    country: str
    value: str
    sentence: str = "Please get back to me: {}. Still waiting for my refund."
    # What must not survive; by default the value itself (digits alone for numbers).
    needle: str = ""

    @property
    def text(self) -> str:
        return self.sentence.format(self.value)


_NUMBER_KINDS = {"phone", "card", "iban"}


def _squeezed(text: str) -> str:
    return re.sub(r"[\s.\-()/]", "", text).lower()


def leaked(planted: Planted, text: str) -> bool:
    """The planted value, or the part of it that identifies someone, is still in `text`."""
    needle = planted.needle or planted.value
    if planted.kind in _NUMBER_KINDS and not planted.needle:
        return _squeezed(needle.lstrip("+")) in _squeezed(text)
    # Whole words: "Doe" is in "doesn't" but that is not Jane Doe. Names are matched case and all.
    flags = 0 if planted.kind in ("name", "address") else re.IGNORECASE
    return re.search(rf"(?<!\w){re.escape(needle)}(?!\w)", text, flags) is not None


def _p(kind: str, country: str, values: str, sentence: str = Planted.sentence, needle: str = "") -> list[Planted]:
    return [Planted(kind, country, value.strip(), sentence, needle) for value in values.split("|")]


# Sentences as customers write them; {} is where the value goes.
CALL = "Nobody rang back. Call me on {} after five, the parcel is 6 days late."
MAIL = "Reply to {} please, order 100234 never arrived."
PAID = "You charged my card {} twice for one sofa (order NW-4855631)."
BANK = "Refund the £120.00 to my account {} by Friday."
SEEN = "Your site blocked me, my IP is {} and the checkout keeps failing."
LINK = "The reset link {} does not work, I tried 3 times."

PLANTED: list[Planted] = [
    # E-mail addresses: plain, Unicode and punycode domains, spoken, percent-encoded, as HTML leaves them.
    *_p("email", "GB", "jane.doe84@example.co.uk|o'brien.sean@example.ie|first.last+orders@gmail.com", MAIL),
    *_p("email", "US", "JOHN.SMITH@EXAMPLE.COM|tom_h@sub.domain.example.com|kate.b@example.org", MAIL),
    *_p("email", "DE", "josé@exämple.de|müller.hans@bücher.de|info@xn--bcher-kva.de", MAIL),
    *_p("email", "FR", "marie.dupont@orange.fr|léa.martin@société.fr", MAIL),
    *_p("email", "IN", "priya.sharma@rediffmail.com|rahul.k@xn--h2brj9c.xn--h2brj9c", MAIL),
    *_p("email", "ES", "jose.garcia@telefonica.es|maría.lópez@correo.es", MAIL),
    *_p("email", "IT", "giulia_rossi@libero.it|luca.bianchi@pec.it", MAIL),
    Planted("email", "GB", "jane dot doe at gmail dot com", "Email me at {} about the refund.", "doe at gmail"),
    Planted("email", "IN", "raj(at)yahoo(dot)co(dot)in", "Write to {} please.", "raj(at)yahoo"),
    Planted("email", "IT", "luca [at] tiscali [dot] it", "Scrivetemi a {} grazie.", "luca [at] tiscali"),
    Planted("email", "DE", "anna.schmidt at web dot de", "Bitte an {} antworten.", "anna.schmidt"),
    Planted("email", "US", "sam.k at example.com", "Email me at {} today.", "sam.k"),
    Planted("email", "GB", "mailto:ruth.p@example.com", "Contact {} for the invoice.", "ruth.p"),
    Planted("email", "GB", "ben.t%40example.com", "Link: https://example.com/unsub?who={} fails.", "ben.t"),
    Planted("email", "GB", "amy.w&#64;example.com", "<p>Write to {} please</p>", "amy.w"),
    # Phone numbers: international and national formats per market.
    *_p("phone", "GB", "+44 20 7946 0958|020 7946 0958|07911 123456|07700 900873|+44 (0)161 496 0000", CALL),
    *_p("phone", "GB", "0161 496 0000|+447911123456|0044 7911 123456|07911-123-456", CALL),
    *_p("phone", "US", "(212) 555-0123|212-555-0123|212.555.0123|+1 415 555 2671|1-800-555-0199", CALL),
    *_p("phone", "US", "415 555 2671|4155552671|(555) 014-2297|+1 (646) 555-0147", CALL),
    *_p("phone", "DE", "0151 23456789|030 12345678|+49 30 901820|+49 (0)151 23456789|0049 151 23456789", CALL),
    *_p("phone", "DE", "089/1234567|0171-1234567|030 901820|+49 171 1234567", CALL),
    *_p("phone", "FR", "06 12 34 56 78|01 42 68 53 00|+33 6 12 34 56 78|+33 (0)1 42 68 53 00", CALL),
    *_p("phone", "FR", "0612345678|06.12.34.56.78|07 81 23 45 67", CALL),
    *_p("phone", "IN", "98765 43210|9876543210|+91 98765 43210|+91-9876543210|098765 43210", CALL),
    *_p("phone", "IN", "022 2345 6789|011 2345 6789|+91 22 2345 6789|87654 32109", CALL),
    *_p("phone", "ES", "612 345 678|612345678|+34 612 34 56 78|91 123 45 67|+34 91 123 45 67|655 12 34 56", CALL),
    *_p("phone", "IT", "347 123 4567|+39 347 123 4567|3471234567|02 1234 5678|+39 06 1234 5678", CALL),
    *_p("phone", "IE", "+353 87 123 4567|087 123 4567", CALL),
    *_p("phone", "NL", "+31 6 12345678|06-12345678", CALL),
    # Card numbers (public test numbers), with spaces, hyphens, dots or nothing between the groups.
    *_p("card", "any", "4111 1111 1111 1111|4111-1111-1111-1111|4111.1111.1111.1111|4111111111111111", PAID),
    *_p("card", "any", "5555 5555 5555 4444|5555.5555.5555.4444|3782 822463 10005|378282246310005", PAID),
    *_p("card", "any", "6011 1111 1111 1117|4000 0566 5566 5556|3530 1113 3330 0000|4012888888881881", PAID),
    # IBANs (the textbook examples).
    *_p("iban", "GB", "GB82 WEST 1234 5698 7654 32|GB33BUKB20201555555555", BANK),
    *_p("iban", "DE", "DE89 3704 0044 0532 0130 00|DE89370400440532013000", BANK),
    *_p("iban", "FR", "FR14 2004 1010 0505 0001 3M02 606", BANK),
    *_p("iban", "ES", "ES91 2100 0418 4502 0005 1332", BANK),
    *_p("iban", "IT", "IT60 X054 2811 1010 0000 0123 456", BANK),
    *_p("iban", "NL", "NL91 ABNA 0417 1643 00", BANK),
    *_p("iban", "IE", "IE29 AIBK 9311 5212 3456 78", BANK),
    *_p("iban", "BE", "BE68 5390 0754 7034", BANK),
    # IP addresses, v4 and v6.
    *_p("ip", "any", "192.168.1.20|10.0.0.254|203.0.113.7|198.51.100.23", SEEN),
    *_p("ip", "any", "2001:db8::1|2001:0db8:85a3:0000:0000:8a2e:0370:7334|fe80::1ff:fe23:4567:890a", SEEN),
    *_p("ip", "any", "::ffff:192.0.2.128|2a02:c7f:1234:5600::1", SEEN),
    # Credentials in URLs: the token is the needle.
    Planted("url_token", "any", "https://shop.example.com/reset?token=9f8e7d6c5b4a", LINK, "9f8e7d6c5b4a"),
    Planted("url_token", "any", "https://app.example.com/cb#access_token=ya29.A0ARrdaM-abc", LINK, "ya29.A0ARrdaM"),
    Planted("url_token", "any", "https://maps.example.com/js?key=AIzaSyD-EXAMPLEKEY123", LINK, "AIzaSyD-EXAMPLEKEY123"),
    Planted("url_token", "any", "https://x.example.com/t?order=12&access_token=eyJhbGciOi.e30.sig", LINK, "eyJhbGciOi"),
    Planted(
        "url_token", "any", "https://f.example.com/a.pdf?X-Amz-Signature=abcdef0123456789", LINK, "abcdef0123456789"
    ),
    Planted("url_token", "any", "https://example.com/login?session_id=s3ss10nV4lue", LINK, "s3ss10nV4lue"),
    Planted("url_token", "any", "https://example.com/api?apiKey=k3yV4lue987&lang=en", LINK, "k3yV4lue987"),
    Planted("url_token", "any", "https://example.com/verify?auth=Zm9vYmFyYmF6", LINK, "Zm9vYmFyYmF6"),
]

# Names and street addresses, for the optional detector. The needle is the part that identifies.
NAMES: list[Planted] = [
    Planted("name", "GB", "Jane Doe", "My name is {} and my sofa is 3 weeks late.", "Doe"),
    Planted("name", "GB", "Sean O'Brien", "Spoke to {} on the phone, he was rude.", "O'Brien"),
    Planted("name", "GB", "Margaret Holt", "Kind regards\n{}", "Holt"),
    Planted("name", "GB", "Rob Fenwick", "Thanks for nothing.\n--\n{}", "Fenwick"),
    Planted("name", "US", "Dwayne Johnson", "{} here, my recliner never came.", "Johnson"),
    Planted("name", "US", "Emily Carter", "The driver told {} to collect it herself.", "Carter"),
    Planted("name", "US", "Michael Brown", "I, {}, want a refund for order 100234.", "Brown"),
    Planted("name", "DE", "Hans Müller", "Ich heiße {} und warte seit 2 Wochen.", "Müller"),
    Planted("name", "DE", "Jana Köhler", "Mit freundlichen Grüßen\n{}", "Köhler"),
    Planted("name", "DE", "Anna Schmidt", "Frau {} hat die Lieferung verschoben.", "Schmidt"),
    Planted("name", "FR", "Marie Dupont", "Je m'appelle {} et j'attends mon remboursement.", "Dupont"),
    Planted("name", "FR", "Pierre Lefèvre", "Cordialement, {}", "Lefèvre"),
    Planted("name", "IN", "Priya Sharma", "My name is {} and the app crashes.", "Sharma"),
    Planted("name", "IN", "Rahul Verma", "Customer {} called about the double charge.", "Verma"),
    Planted("name", "IN", "Ananya Iyer", "Please ask {} to call back.", "Iyer"),
    Planted("name", "ES", "José García", "Me llamo {} y el pedido llegó roto.", "García"),
    Planted("name", "ES", "Lucía Fernández", "Atentamente, {}", "Fernández"),
    Planted("name", "IT", "Giulia Rossi", "Mi chiamo {} e aspetto il rimborso.", "Rossi"),
    Planted("name", "IT", "Marco Bianchi", "Cordiali saluti, {}", "Bianchi"),
    Planted("name", "GB", "Sarah Thompson", "{} at the Leeds store was really helpful.", "Thompson"),
    Planted("name", "US", "David Miller", "Your agent {} hung up on me twice.", "Miller"),
    Planted("name", "GB", "Claire Dunn", "From: {}\nSubject: Refund", "Dunn"),
    Planted("name", "US", "Kevin Nguyen", "Ask for {}, he knows the case.", "Nguyen"),
    Planted("name", "GB", "Oliver Bennett", "Regards, {}", "Bennett"),
]
ADDRESSES: list[Planted] = [
    Planted("address", "GB", "221B Baker Street", "Deliver to {}, London NW1 6XE, not next door.", "Baker Street"),
    Planted("address", "GB", "17 Queen's Road", "It was left outside {} in the rain.", "Queen's Road"),
    Planted("address", "GB", "4 Mill Lane", "My address is {}, Leeds.", "Mill Lane"),
    Planted("address", "US", "42 Elm Avenue", "The courier left it at {}, Springfield, not my house.", "Elm Avenue"),
    Planted("address", "US", "1600 Pennsylvania Avenue", "Ship to {} NW, Washington.", "Pennsylvania Avenue"),
    Planted("address", "US", "350 Fifth Ave", "Send it to {}, Apt 4B, New York.", "Fifth Ave"),
    Planted("address", "IN", "14 MG Road", "Deliver to {}, Bengaluru 560001.", "MG Road"),
    Planted("address", "DE", "Hauptstraße 5", "Lieferadresse: {}, 10115 Berlin.", "Hauptstraße"),
    Planted("address", "DE", "Berliner Str. 12a", "Ich wohne in der {} in Hamburg.", "Berliner Str"),
    Planted("address", "FR", "12 rue de la Paix", "Livraison au {}, 75002 Paris.", "rue de la Paix"),
    Planted("address", "FR", "5 avenue Victor Hugo", "J'habite au {} à Lyon.", "Victor Hugo"),
    Planted("address", "ES", "Calle Mayor 5", "Envíenlo a {}, 28013 Madrid.", "Calle Mayor"),
    Planted("address", "IT", "Via Roma 10", "Spedite a {}, 00184 Roma.", "Via Roma"),
    Planted("address", "IT", "Corso Italia 45", "Abito in {} a Milano.", "Corso Italia"),
]
PLANTED_NAMES = NAMES + ADDRESSES

# Ordinary feedback whose numbers are not personal data: every one must come through unchanged.
CLEAN = [
    "Order 100234 arrived 2 days late.",
    "Still no news on order 100234 or #A-55821.",
    "Ticket 20261021 logged at 09:15, 3 items, 2 returned.",
    "It cost £120.00 ({$120.00}) in the end, plus €49,99 delivery.",
    "Delivery moved to 2026-10-21 at 14:30, then to 21/10/2026, then to 05.03.2026.",
    "Postcode SW1A 1AA, 75008 Paris, 10115 Berlin, 28013 Madrid, 00184 Roma, 560001 Bengaluru.",
    "Tracking number 1Z999AA10123456784 shows nothing.",
    "Order no. 9988776655 is still missing.",
    "Reference 1234567890 is mine.",
    "App version 5.4.0.12 crashes on start.",
    "Waited 45 minutes, 3 times, for a 1500 euro sofa.",
    "Invoice 2026 001234 was wrong.",
    "Rated it 4.5/5, 90% happy, would give 8 out of 10.",
    "Paid 1,299.99 for the sofa and 2.499,00 € for the table.",
    "Call centre hours 9-17, Mon-Fri, closed 24.12.",
    "Order #A-55821 and NW-4855631 never came.",
    "I looked at amazon dot com and it was cheaper.",
    "Use code WELCOME10 at checkout, it took 10 minutes.",
    "SKU 698765432 is out of stock again.",
    "Time 14:30:00, the van came at 7.45 and left at 8.10.",
    "See https://shop.example.com/product?id=42&colour=blue and https://shop.example.com/search?keyword=sofa.",
    "Mark at the Nottingham store helped us measure up for a corner sofa.",
    "The 3 seater was £899, the 2 seater £649, delivery 3-5 working days.",
    "Bought 2 chairs on 12/11 for 79.99 each; refund of 159.98 still pending after 14 days.",
    "Order 7654321098 late, tracking no. 678123456.",
]

# Written after the detector was tuned on the lists above and never tuned on: its honest recall.
HELD_OUT_NAMES: list[Planted] = [
    Planted("name", "GB", "Harriet Walsh", "Harriet Walsh rang me twice about the wardrobe.", "Walsh"),
    Planted("name", "GB", "Liam Doherty", "The fitter, Liam Doherty, broke the door hinge.", "Doherty"),
    Planted("name", "US", "Brianna Lopez", "I'm Brianna Lopez and I was charged twice.", "Lopez"),
    Planted("name", "US", "Tyler Jackson", "Tyler Jackson from billing promised a callback.", "Jackson"),
    Planted("name", "IN", "Vikram Nair", "Vikram Nair is the account holder, please call him.", "Nair"),
    Planted("name", "IN", "Sunita Reddy", "Order placed by Sunita Reddy on Monday.", "Reddy"),
    Planted("name", "DE", "Lukas Becker", "Herr Lukas Becker wartet auf die Erstattung.", "Becker"),
    Planted("name", "DE", "Sabine Wagner", "Viele Grüße, Sabine Wagner", "Wagner"),
    Planted("name", "FR", "Camille Laurent", "Bonjour, c'est Camille Laurent, ma commande est en retard.", "Laurent"),
    Planted("name", "FR", "Julien Moreau", "Merci d'avance, Julien Moreau", "Moreau"),
    Planted("name", "ES", "Carmen Ruiz", "Soy Carmen Ruiz y mi pedido no ha llegado.", "Ruiz"),
    Planted("name", "IT", "Francesca Ricci", "Buongiorno, sono Francesca Ricci.", "Ricci"),
    Planted("name", "GB", "Nadia Hussain", "Please pass this to Nadia Hussain in customer care.", "Hussain"),
    Planted("name", "US", "Greg Olsen", "Greg Olsen, the store manager, refused the return.", "Olsen"),
    Planted("name", "GB", "Fiona Campbell", "Cheers, Fiona Campbell", "Campbell"),
    Planted("name", "US", "Derek Chow", "My husband Derek Chow placed the order.", "Chow"),
]
HELD_OUT_ADDRESSES: list[Planted] = [
    Planted("address", "GB", "9 Station Road", "Deliver to 9 Station Road, Bristol BS1 4DJ.", "Station Road"),
    Planted("address", "GB", "Flat 2, 33 Victoria Street", "I live at Flat 2, 33 Victoria Street.", "Victoria Street"),
    Planted("address", "US", "77 Sunset Blvd", "Ship it to 77 Sunset Blvd, Los Angeles.", "Sunset Blvd"),
    Planted("address", "US", "12 Oak Drive", "Left at 12 Oak Drive instead of 21.", "Oak Drive"),
    Planted("address", "DE", "Gartenweg 14", "Bitte an Gartenweg 14, 50667 Köln liefern.", "Gartenweg"),
    Planted("address", "FR", "8 boulevard Saint-Michel", "Adresse : 8 boulevard Saint-Michel, Paris.", "Saint-Michel"),
    Planted("address", "ES", "Avenida de América 20", "Vivo en Avenida de América 20, Madrid.", "América 20"),
    Planted("address", "IT", "Piazza Garibaldi 3", "Consegna in Piazza Garibaldi 3, Napoli.", "Garibaldi 3"),
    Planted("address", "IN", "22 Park Street", "Send to 22 Park Street, Kolkata 700016.", "Park Street"),
    Planted("address", "GB", "5 Church Lane", "Our new address is 5 Church Lane.", "Church Lane"),
]
