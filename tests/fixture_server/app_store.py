"""Apple App Store: the customer-reviews RSS feed as JSON."""

from __future__ import annotations


def app_store_feed_path(country: str, app_id: str, page: int) -> str:
    return f"/{country}/rss/customerreviews/page={page}/id={app_id}/sortby=mostrecent/json"


def app_store_entry(
    review_id: str | None,
    *,
    rating: str,
    title: str | None,
    content: str | None,
    updated: str,
    version: str = "5.12.0",
    author: str = "Keen user 42",
) -> dict:
    """One review entry: every value wrapped in `label`, as the XML-to-JSON conversion leaves it."""
    entry: dict = {
        "author": {
            "uri": {"label": "https://itunes.apple.com/gb/reviews/id100200300"},
            "name": {"label": author},
            "label": "",
        },
        "updated": {"label": updated},
        "im:rating": {"label": rating},
        "im:version": {"label": version},
        "link": {"attributes": {"rel": "related", "href": "https://itunes.apple.com/gb/review?id=1234567890"}},
        "im:voteSum": {"label": "0"},
        "im:contentType": {"attributes": {"term": "Application", "label": "Application"}},
        "im:voteCount": {"label": "0"},
    }
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


def app_store_feed(
    entries: list[dict], *, page: int, app_id: str, country: str = "gb", last_page: int = 10, base: str = ""
) -> dict:
    """A feed page. Like the real conversion: one entry is an object, none means no `entry` key at all."""
    feed_id = f"https://mzstoreservices-int-st.itunes.apple.com/{country}/rss/customerreviews/page={page}/id={app_id}"

    def href(n: int) -> str:
        path = f"/{country}/rss/customerreviews/page={n}/id={app_id}/sortby=mostrecent"
        return f"{base}{path}/xml?urlDesc=/customerreviews/id={app_id}/sortby=mostrecent/json"

    store = f"https://apps.apple.com/WebObjects/MZStore.woa/wa/viewGrouping?cc={country}&id=1"
    links = [
        {"attributes": {"rel": "alternate", "type": "text/html", "href": store}},
        {"attributes": {"rel": "self", "href": href(page).replace("/xml?", "/json?")}},
        {"attributes": {"rel": "first", "href": href(1)}},
        {"attributes": {"rel": "last", "href": href(last_page)}},
        {"attributes": {"rel": "previous", "href": href(max(1, page - 1))}},
    ]
    if page < last_page:
        links.append({"attributes": {"rel": "next", "href": href(page + 1)}})
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
