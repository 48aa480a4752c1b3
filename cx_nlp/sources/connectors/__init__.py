"""Every web connector by its `kind`: the contract test runs each one listed here, so a new one must be too."""

from __future__ import annotations

from typing import Any

from cx_nlp.sources.connectors.review_pages import ReviewPagesConfig, ReviewPagesStream
from cx_nlp.sources.connectors.zendesk import ZendeskConfig, ZendeskTicketsStream
from cx_nlp.sources.streams import HttpStream, Stream

CONNECTORS: dict[str, type[Stream]] = {
    ZendeskTicketsStream.name: ZendeskTicketsStream,
    ReviewPagesStream.name: ReviewPagesStream,
}


def build_stream(kind: str, config: dict, **client_options: Any) -> HttpStream:
    """Validate one config entry against its connector's model and build the stream."""
    if kind not in CONNECTORS:
        raise ValueError(f"unknown connector kind {kind!r}; known: {sorted(CONNECTORS)}")
    cls = CONNECTORS[kind]
    if not issubclass(cls, HttpStream):
        raise TypeError(f"connector {kind!r} is not configurable from a dict")
    return cls(cls.config_model.model_validate(config), **client_options)


__all__ = [
    "CONNECTORS",
    "ReviewPagesConfig",
    "ReviewPagesStream",
    "ZendeskConfig",
    "ZendeskTicketsStream",
    "build_stream",
]
