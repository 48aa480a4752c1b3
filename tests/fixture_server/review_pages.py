"""Review pages: schema.org Review in JSON-LD, microdata, or plain HTML."""

from __future__ import annotations

import json


def jsonld_review(
    *,
    author: str | None,
    date: str | None,
    body: str | None,
    rating: float | str | None = None,
    title: str | None = None,
    review_id: str | None = None,
    url: str | None = None,
    best: int = 5,
) -> dict:
    review: dict = {"@type": "Review"}
    if review_id:
        review["@id"] = review_id
    if url:
        review["url"] = url
    if author is not None:
        review["author"] = {"@type": "Person", "name": author}
    if date is not None:
        review["datePublished"] = date
    if title is not None:
        review["name"] = title
    if body is not None:
        review["reviewBody"] = body
    if rating is not None:
        review["reviewRating"] = {"@type": "Rating", "ratingValue": rating, "bestRating": best, "worstRating": 1}
    return review


def _page(head: str, body: str) -> str:
    return (
        "<!doctype html>\n<html lang=en><head><meta charset=utf-8><title>Reviews</title>"
        f"{head}</head><body>{body}</body></html>"
    )


def _next_link(next_href: str | None) -> str:
    return f'<link rel="next" href="{next_href}">' if next_href else ""


def product_reviews_page(
    product: str, reviews: list[dict], next_href: str | None = None, *, graph: bool = False
) -> str:
    """A product page with JSON-LD: a Product with AggregateRating and a `review` array, or an @graph."""
    product_node = {
        "@type": "Product",
        "@id": "#product",
        "name": product,
        "aggregateRating": {"@type": "AggregateRating", "ratingValue": 3.4, "reviewCount": 120},
    }
    if graph:
        reviewed = [dict(r, itemReviewed={"@id": "#product", "name": product}) for r in reviews]
        data: dict = {
            "@context": "https://schema.org",
            "@graph": [product_node, {"@type": "BreadcrumbList", "itemListElement": []}, *reviewed],
        }
    else:
        data = {"@context": "https://schema.org", **product_node, "review": reviews}
    script = f'<script type="application/ld+json">{json.dumps(data)}</script>'
    visible = "".join(f"<article><p>{r.get('reviewBody', '')}</p></article>" for r in reviews)
    nav = f'<nav><a rel="next" href="{next_href}">Next</a></nav>' if next_href else ""
    return _page(script + _next_link(next_href), f"<h1>{product}</h1>{visible}{nav}")


def microdata_reviews_page(business: str, reviews: list[dict], next_href: str | None = None) -> str:
    """A LocalBusiness page marked up with microdata only (rating and author as nested items)."""
    items = []
    for r in reviews:
        rating = (
            f'<div itemprop="reviewRating" itemscope itemtype="https://schema.org/Rating">'
            f'<meta itemprop="worstRating" content="1"><span itemprop="ratingValue">{r["rating"]}</span>/'
            f'<span itemprop="bestRating">5</span></div>'
            if r.get("rating") is not None
            else ""
        )
        date = f'<time itemprop="datePublished" datetime="{r["date"]}">{r["date"]}</time>' if r.get("date") else ""
        body = f'<p itemprop="reviewBody">{r["body"]}</p>' if r.get("body") else ""
        items.append(
            '<div itemprop="review" itemscope itemtype="https://schema.org/Review">'
            '<span itemprop="author" itemscope itemtype="https://schema.org/Person">'
            f'<span itemprop="name">{r["author"]}</span></span>'
            f"{date}{rating}{body}</div>"
        )
    nav = f'<a rel="next" href="{next_href}">Older reviews</a>' if next_href else ""
    return _page(
        "",
        f'<div itemscope itemtype="https://schema.org/LocalBusiness"><h1 itemprop="name">{business}</h1>'
        f'<div itemprop="aggregateRating" itemscope itemtype="https://schema.org/AggregateRating">'
        f'<span itemprop="ratingValue">4.1</span></div>{"".join(items)}</div>{nav}',
    )


def plain_reviews_page(reviews: list[dict], next_href: str | None = None) -> str:
    """A page with no structured data at all: only the site's own classes (the CSS-selector fallback)."""
    items = "".join(
        f'<li class="review" data-review-id="{r["id"]}"><b class="who">{r["author"]}</b>'
        f'<span class="when">{r["date"]}</span><span class="stars">{r["rating"]}</span>'
        f'<div class="text">{r["body"]}</div></li>'
        for r in reviews
    )
    nav = f'<a class="pager-next" href="{next_href}">More</a>' if next_href else ""
    return _page("", f'<ul class="reviews">{items}</ul>{nav}')


def blog_post_page(
    title: str, reviews: list[dict], *, next_post: str | None = None, next_page: str | None = None
) -> str:
    """A WordPress-style review article: reviews as JSON-LD beside the Article, and the theme's post
    navigation whose `<a rel="next">` is the *next article*, not more of this one. `next_page` is the
    article's own page 2, which an SEO plugin announces as `<link rel="next">` in the head."""
    data = {
        "@context": "https://schema.org",
        "@graph": [
            {"@type": "Article", "@id": "#article", "headline": title, "datePublished": "2026-10-01T08:00:00+00:00"},
            {"@type": "Product", "@id": "#product", "name": title, "review": reviews},
        ],
    }
    head = f'<script type="application/ld+json">{json.dumps(data)}</script>' + _next_link(next_page)
    visible = "".join(f"<blockquote>{r.get('reviewBody', '')}</blockquote>" for r in reviews)
    nav = (
        '<nav class="navigation post-navigation" aria-label="Posts"><div class="nav-links">'
        '<div class="nav-previous"><a href="/blog/older-post/" rel="prev">Older post</a></div>'
        f'<div class="nav-next"><a href="{next_post}" rel="next">Next post</a></div></div></nav>'
        if next_post
        else ""
    )
    return _page(head, f'<article class="post"><h1 class="entry-title">{title}</h1>{visible}</article>{nav}')


def challenge_page() -> str:
    """What a bot wall answers with HTTP 200: no reviews, no structured data, a script to run."""
    return (
        "<!DOCTYPE html><html lang=en-US><head><title>Just a moment...</title>"
        '<meta http-equiv="refresh" content="360"></head><body><div class="main-wrapper" role="main">'
        "<h1>shop.example</h1><p>Verifying you are human. This may take a few seconds.</p>"
        "<noscript>Enable JavaScript and cookies to continue</noscript></div></body></html>"
    )
