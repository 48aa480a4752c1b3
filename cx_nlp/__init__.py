"""cx-nlp: mine recurring customer-experience issues from feedback verbatims."""

__version__ = "0.1.0"
