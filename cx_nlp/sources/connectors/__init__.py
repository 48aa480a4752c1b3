"""Every web connector by its `kind`: the contract test runs each one listed here, so a new one must be too."""

from __future__ import annotations

from typing import Any

from cx_nlp.sources.connectors.app_store import AppStoreConfig, AppStoreReviewsStream
from cx_nlp.sources.connectors.cfpb import CfpbComplaintsStream, CfpbConfig
from cx_nlp.sources.connectors.email import ImapConfig, ImapStream
from cx_nlp.sources.connectors.freshdesk import FreshdeskConfig, FreshdeskTicketsStream
from cx_nlp.sources.connectors.google_business import GoogleBusinessConfig, GoogleBusinessReviewsStream
from cx_nlp.sources.connectors.mbox import MboxConfig, MboxStream
from cx_nlp.sources.connectors.review_pages import ReviewPagesConfig, ReviewPagesStream
from cx_nlp.sources.connectors.surveys import SurveyConfig, SurveyResponsesStream
from cx_nlp.sources.connectors.trustpilot import TrustpilotConfig, TrustpilotReviewsStream
from cx_nlp.sources.connectors.yelp import YelpConfig, YelpReviewsStream
from cx_nlp.sources.connectors.zendesk import ZendeskConfig, ZendeskTicketsStream
from cx_nlp.sources.streams import HttpStream, Stream

CONNECTORS: dict[str, type[Stream]] = {
    ZendeskTicketsStream.name: ZendeskTicketsStream,
    FreshdeskTicketsStream.name: FreshdeskTicketsStream,
    MboxStream.name: MboxStream,
    ImapStream.name: ImapStream,
    CfpbComplaintsStream.name: CfpbComplaintsStream,
    SurveyResponsesStream.name: SurveyResponsesStream,
    ReviewPagesStream.name: ReviewPagesStream,
    GoogleBusinessReviewsStream.name: GoogleBusinessReviewsStream,
    YelpReviewsStream.name: YelpReviewsStream,
    TrustpilotReviewsStream.name: TrustpilotReviewsStream,
    AppStoreReviewsStream.name: AppStoreReviewsStream,
}


def build_stream(kind: str, config: dict, **client_options: Any) -> Stream:
    """Validate one config entry against its connector's model and build the stream.

    `client_options` (clock, sleep, now) are for HttpStreams; file and IMAP streams take none.
    """
    if kind not in CONNECTORS:
        raise ValueError(f"unknown connector kind {kind!r}; known: {sorted(CONNECTORS)}")
    cls = CONNECTORS[kind]
    model = getattr(cls, "config_model", None)
    if model is None:
        raise TypeError(f"connector {kind!r} is not configurable from a dict")
    if client_options and not issubclass(cls, HttpStream):
        raise TypeError(f"connector {kind!r} reads no HTTP: it takes no {sorted(client_options)}")
    return cls(model.model_validate(config), **client_options)


__all__ = [
    "CONNECTORS",
    "AppStoreConfig",
    "AppStoreReviewsStream",
    "CfpbComplaintsStream",
    "CfpbConfig",
    "FreshdeskConfig",
    "FreshdeskTicketsStream",
    "GoogleBusinessConfig",
    "GoogleBusinessReviewsStream",
    "ImapConfig",
    "ImapStream",
    "MboxConfig",
    "MboxStream",
    "ReviewPagesConfig",
    "ReviewPagesStream",
    "SurveyConfig",
    "SurveyResponsesStream",
    "TrustpilotConfig",
    "TrustpilotReviewsStream",
    "YelpConfig",
    "YelpReviewsStream",
    "ZendeskConfig",
    "ZendeskTicketsStream",
    "build_stream",
]
