"""Recurring issues: mining one window's clusters, keeping ids across nights, and their figures."""

from cx_nlp.issues.clustering import HDBSCANClusterer, PCAReducer
from cx_nlp.issues.ids import KnownIssue, match_issue_ids
from cx_nlp.issues.keywords import make_label, stop_words_for
from cx_nlp.issues.miner import IssueMiner
from cx_nlp.issues.records import Cluster, Issue, IssueWindow, MinedIssue, MinedWindow, PriorIssue
from cx_nlp.issues.tracking import IssueTracker, language_group
from cx_nlp.issues.units import MiningUnit, might_be_a_problem, problem_units

__all__ = [
    "Cluster",
    "HDBSCANClusterer",
    "Issue",
    "IssueMiner",
    "IssueTracker",
    "IssueWindow",
    "KnownIssue",
    "MinedIssue",
    "MinedWindow",
    "MiningUnit",
    "PCAReducer",
    "PriorIssue",
    "language_group",
    "make_label",
    "match_issue_ids",
    "might_be_a_problem",
    "problem_units",
    "stop_words_for",
]
