-- Where issues went: an issue merged into another, or split from one, with both labels, so an
-- analyst holding last week's issue id finds today's. Key: (issue_id, related_issue_id, event).
CREATE VIEW mart_issue_lineage AS
SELECT
    l.issue_id,
    i.label AS issue_label,
    l.event,
    l.related_issue_id,
    r.label AS related_issue_label,
    r.status AS related_issue_status,
    i.touchpoint,
    l.window_end
FROM issue_lineage AS l
JOIN issue AS i ON i.issue_id = l.issue_id
JOIN issue AS r ON r.issue_id = l.related_issue_id
