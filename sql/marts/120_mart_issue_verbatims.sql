-- Drill-down from an issue to its feedback. Key: (issue_id, feedback_id).
CREATE VIEW mart_issue_verbatims AS
SELECT
    m.issue_id,
    m.feedback_id,
    m.similarity,
    m.membership,
    f.source,
    f.source_kind,
    f.created_day,
    f.text,
    f.rating,
    f.sentiment_label,
    f.sentiment_score
FROM stg_issue_member AS m
JOIN stg_feedback AS f ON f.feedback_id = m.feedback_id
