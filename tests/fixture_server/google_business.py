"""Google Business Profile: location reviews, pageToken paging."""

from __future__ import annotations


def google_reviews_path(account: str, location: str) -> str:
    return f"/v4/accounts/{account}/locations/{location}/reviews"


def google_review(
    review_id: str | None,
    *,
    comment: str | None,
    star: str,
    create_time: str,
    update_time: str | None = None,
    reviewer: str = "Chris Morgan",
    anonymous: bool = False,
    reply: str | None = None,
    account: str = "1234567890",
    location: str = "9876543210",
) -> dict:
    """A Review resource as the v4 API returns it: `comment` is left out entirely on a star-only review."""
    review: dict = {
        "name": f"accounts/{account}/locations/{location}/reviews/{review_id}",
        "reviewer": {
            "profilePhotoUrl": "https://lh3.googleusercontent.com/a/default-user=s120-c-rp-mo-br100",
            "displayName": reviewer,
            "isAnonymous": anonymous,
        },
        "starRating": star,
        "createTime": create_time,
        "updateTime": update_time or create_time,
    }
    if review_id is not None:
        review["reviewId"] = review_id
    if comment is not None:
        review["comment"] = comment
    if reply is not None:
        review["reviewReply"] = {"comment": reply, "updateTime": update_time or create_time}
    return review


def google_reviews_page(reviews: list[dict], next_token: str | None = None, *, total: int = 87) -> dict:
    """One page of reviews.list; like every Google API it omits empty and absent fields."""
    page: dict = {"averageRating": 4.1, "totalReviewCount": total}
    if reviews:
        page["reviews"] = reviews
    if next_token:
        page["nextPageToken"] = next_token
    return page
