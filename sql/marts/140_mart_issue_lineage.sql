-- Where issues went: an issue merged into another, or split from one, with both labels, so an
-- analyst holding last week's issue id finds today's. Key: (issue_id, related_issue_id, event).
CREATE VIEW mart_issue_lineage AS
SELECT
    l.issue_id,
    COALESCE(il.analyst_label, i.label) AS issue_label,
    l.event,
    l.related_issue_id,
    COALESCE(rl.analyst_label, r.label) AS related_issue_label,
    r.status AS related_issue_status,
    i.touchpoint,
    l.window_end
FROM stg_issue_lineage AS l
JOIN stg_issue AS i ON i.issue_id = l.issue_id
JOIN stg_issue AS r ON r.issue_id = l.related_issue_id
LEFT JOIN stg_issue_label AS il ON il.issue_id = l.issue_id
LEFT JOIN stg_issue_label AS rl ON rl.issue_id = l.related_issue_id
