-- Issues merged into, or split from, other issues. Key: (issue_id, related_issue_id, event).
CREATE VIEW stg_issue_lineage AS
SELECT
    issue_id,
    related_issue_id,
    event,
    window_end
FROM issue_lineage
