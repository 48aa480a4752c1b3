"""Apple App Store: the customer-reviews RSS feed, as JSON and as the Atom XML it is converted from.

The JSON conversion is known to leave `updated` out of review entries (the XML keeps it), so fixtures
build entries with and without it, and the XML page of the same reviews with every date.
"""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr


def app_store_feed_path(country: str, app_id: str, page: int, form: str = "json") -> str:
    return f"/{country}/rss/customerreviews/page={page}/id={app_id}/sortby=mostrecent/{form}"


def app_store_entry(
    review_id: str | None,
    *,
    rating: str,
    title: str | None,
    content: str | None,
    updated: str | None,
    version: str = "5.12.0",
    author: str = "Keen user 42",
) -> dict:
    """One review entry: every value wrapped in `label`; `updated` None leaves the key out, as real feeds do."""
    entry: dict = {
        "author": {
            "uri": {"label": "https://itunes.apple.com/gb/reviews/id100200300"},
            "name": {"label": author},
            "label": "",
        },
        "im:rating": {"label": rating},
        "im:version": {"label": version},
        "link": {"attributes": {"rel": "related", "href": "https://itunes.apple.com/gb/review?id=1234567890"}},
        "im:voteSum": {"label": "0"},
        "im:contentType": {"attributes": {"term": "Application", "label": "Application"}},
        "im:voteCount": {"label": "0"},
    }
    if updated is not None:
        entry["updated"] = {"label": updated}
    if review_id is not None:
        entry["id"] = {"label": review_id}
    if title is not None:
        entry["title"] = {"label": title}
    if content is not None:
        entry["content"] = {"label": content, "attributes": {"type": "text"}}
    return entry


def app_store_app_entry(app_id: str) -> dict:
    """The entry older feeds put first on page 1: the app itself, not a review."""
    return {
        "im:name": {"label": "Acme Shop"},
        "im:artist": {"label": "Acme Ltd", "attributes": {"href": "https://apps.apple.com/gb/developer/id1"}},
        "id": {"label": f"https://apps.apple.com/gb/app/acme-shop/id{app_id}", "attributes": {"im:id": app_id}},
        "title": {"label": "Acme Shop - Acme Ltd"},
    }


def _href(base: str, country: str, app_id: str, n: int) -> str:
    path = f"/{country}/rss/customerreviews/page={n}/id={app_id}/sortby=mostrecent"
    return f"{base}{path}/xml?urlDesc=/customerreviews/id={app_id}/sortby=mostrecent/json"


def app_store_feed(
    entries: list[dict], *, page: int, app_id: str, country: str = "gb", last_page: int = 10, base: str = ""
) -> dict:
    """A feed page. Like the real conversion: one entry is an object, none means no `entry` key at all."""
    feed_id = f"https://mzstoreservices-int-st.itunes.apple.com/{country}/rss/customerreviews/page={page}/id={app_id}"
    store = f"https://apps.apple.com/WebObjects/MZStore.woa/wa/viewGrouping?cc={country}&id=1"
    links = [
        {"attributes": {"rel": "alternate", "type": "text/html", "href": store}},
        {"attributes": {"rel": "self", "href": _href(base, country, app_id, page).replace("/xml?", "/json?")}},
        {"attributes": {"rel": "first", "href": _href(base, country, app_id, 1)}},
        {"attributes": {"rel": "last", "href": _href(base, country, app_id, last_page)}},
        {"attributes": {"rel": "previous", "href": _href(base, country, app_id, max(1, page - 1))}},
    ]
    if page < last_page:
        links.append({"attributes": {"rel": "next", "href": _href(base, country, app_id, page + 1)}})
    feed: dict = {
        "author": {"name": {"label": "iTunes Store"}, "uri": {"label": "http://www.apple.com/uk/itunes/"}},
        "updated": {"label": "2026-10-27T03:14:07-07:00"},
        "rights": {"label": "Copyright 2008 Apple Inc."},
        "title": {"label": "iTunes Store: Customer Reviews"},
        "icon": {"label": "http://itunes.apple.com/favicon.ico"},
        "link": links,
        "id": {"label": f"{feed_id}/sortby=mostrecent/json"},
    }
    if len(entries) == 1:
        feed["entry"] = entries[0]
    elif entries:
        feed["entry"] = entries
    return {"feed": feed}


def app_store_feed_xml(reviews: list[tuple[dict, str]], *, page: int, app_id: str, country: str = "gb") -> bytes:
    """The Atom XML page of the same reviews: (JSON entry, its date), the date being what the XML carries."""

    def text(entry: dict, key: str) -> str:
        value = entry.get(key)
        return escape(str(value.get("label", ""))) if isinstance(value, dict) else ""

    items = []
    for entry, updated in reviews:
        author = entry["author"]
        items.append(
            "\t<entry>\n"
            f"\t\t<updated>{escape(updated)}</updated>\n"
            f"\t\t<id>{text(entry, 'id')}</id>\n"
            f"\t\t<title>{text(entry, 'title')}</title>\n"
            f'\t\t<content type="text">{text(entry, "content")}</content>\n'
            f'\t\t<link rel="related" href={quoteattr(entry["link"]["attributes"]["href"])}/>\n'
            f"\t\t<im:voteSum>0</im:voteSum>\n"
            '\t\t<im:contentType term="Application" label="Application"/>\n'
            "\t\t<im:voteCount>0</im:voteCount>\n"
            f"\t\t<im:rating>{text(entry, 'im:rating')}</im:rating>\n"
            f"\t\t<im:version>{text(entry, 'im:version')}</im:version>\n"
            f"\t\t<author><name>{escape(author['name']['label'])}</name>"
            f"<uri>{escape(author['uri']['label'])}</uri></author>\n"
            "\t</entry>\n"
        )
    feed_id = f"https://mzstoreservices-int-st.itunes.apple.com/{country}/rss/customerreviews/page={page}/id={app_id}"
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<feed xmlns:im="http://itunes.apple.com/rss" xmlns="http://www.w3.org/2005/Atom" xml:lang="en">\n'
        f"\t<id>{feed_id}/sortby=mostrecent/xml</id>\n"
        "\t<title>iTunes Store: Customer Reviews</title>\n"
        "\t<updated>2026-10-27T03:14:07-07:00</updated>\n"
        '\t<link rel="alternate" type="text/html" href="https://apps.apple.com/gb/app/id1"/>\n'
        "\t<icon>http://itunes.apple.com/favicon.ico</icon>\n"
        "\t<author><name>iTunes Store</name><uri>http://www.apple.com/uk/itunes/</uri></author>\n"
        "\t<rights>Copyright 2008 Apple Inc.</rights>\n" + "".join(items) + "</feed>\n"
    ).encode()
