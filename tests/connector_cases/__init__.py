"""One case per connector: canned data in the source's real shape, and how to break it.

Each case installs its source (routes on the fixture server, a mailbox, an export file), makes the
stream, adds a new item, injects faults and bad records; the contract tests run every case the same way.
"""

from __future__ import annotations

from connector_cases.exports import CfpbCase, SurveyCase
from connector_cases.freshdesk import FreshdeskCase
from connector_cases.mailboxes import ImapCase, MboxCase
from connector_cases.review_apis import AppStoreCase, GoogleBusinessCase, TrustpilotCase, YelpCase
from connector_cases.review_pages import ReviewPagesCase
from connector_cases.zendesk import ZendeskCase

CASES = {ZendeskCase.kind: ZendeskCase, ReviewPagesCase.kind: ReviewPagesCase}
CASES.update({c.kind: c for c in (GoogleBusinessCase, YelpCase, TrustpilotCase, AppStoreCase)})
CASES.update({c.kind: c for c in (FreshdeskCase, MboxCase, ImapCase, CfpbCase, SurveyCase)})
