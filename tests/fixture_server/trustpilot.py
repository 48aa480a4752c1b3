"""Trustpilot: business-unit reviews, page numbers with a next-page link."""

from __future__ import annotations


def trustpilot_reviews_path(business_unit_id: str) -> str:
    return f"/v1/business-units/{business_unit_id}/reviews"


def trustpilot_review(
    review_id: str | None,
    *,
    stars: object,
    title: str | None,
    text: str | None,
    created_at: str,
    updated_at: str | None = None,
    language: str = "en",
    reply: str | None = None,
    verified: bool = True,
) -> dict:
    review: dict = {
        "links": [
            {"href": f"https://api.trustpilot.com/v1/reviews/{review_id}", "method": "GET", "rel": "reviews"},
            {"href": "https://api.trustpilot.com/v1/consumers/5a1b2c3d4e5f", "method": "GET", "rel": "consumer"},
        ],
        "stars": stars,
        "title": title,
        "text": text,
        "language": language,
        "createdAt": created_at,
        "updatedAt": updated_at,
        "experiencedAt": created_at,
        "isVerified": verified,
        "reviewVerificationLevel": "verified" if verified else "not-verified",
        "numberOfLikes": 0,
        "status": "active",
        "companyReply": {"text": reply, "createdAt": created_at} if reply else None,
        "consumer": {
            "links": [],
            "id": "5a1b2c3d4e5f",
            "displayName": "Jo Bloggs",
            "numberOfReviews": 3,
        },
        "businessUnit": {"id": "5f1e2d3c4b5a697887766554", "displayName": "Acme Homeware"},
        "location": None,
        "countsTowardsTrustScore": True,
        "countsTowardsLocationTrustScore": None,
    }
    if review_id is not None:
        review["id"] = review_id
    return review


def trustpilot_reviews_page(reviews: list[dict], *, next_href: str | None = None, prev_href: str | None = None) -> dict:
    links = []
    if prev_href:
        links.append({"href": prev_href, "method": "GET", "rel": "prev-page"})
    if next_href:
        links.append({"href": next_href, "method": "GET", "rel": "next-page"})
    return {"reviews": reviews, "links": links}
