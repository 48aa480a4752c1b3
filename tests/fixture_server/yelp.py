"""Yelp Fusion: business reviews, offset paging."""

from __future__ import annotations


def yelp_reviews_path(business_id: str) -> str:
    return f"/v3/businesses/{business_id}/reviews"


def yelp_review(review_id: str | None, *, text: str | None, rating: object, time_created: str) -> dict:
    """A review as Fusion returns it: an excerpt of the text and a Pacific-time timestamp without offset."""
    user_id = f"u-{review_id or 'anon'}"
    review: dict = {
        "url": f"https://www.yelp.com/biz/acme-coffee-roasters-san-francisco?hrid={review_id}",
        "text": text,
        "rating": rating,
        "time_created": time_created,
        "user": {
            "id": user_id,
            "profile_url": f"https://www.yelp.com/user_details?userid={user_id}",
            "image_url": None,
            "name": "Sam K.",
        },
    }
    if review_id is not None:
        review["id"] = review_id
    return review


def yelp_reviews_page(reviews: list[dict], total: int) -> dict:
    return {"reviews": reviews, "total": total, "possible_languages": ["en", "es"]}
