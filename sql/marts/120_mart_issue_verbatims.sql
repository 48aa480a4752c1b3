-- Drill-down from an issue to its feedback: what the customer said about the issue (segment_text: the
-- segment that put the feedback in the issue, the whole text where it is one segment) beside the whole
-- feedback (text). Key: (issue_id, feedback_id).
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
    f.sentiment_score,
    COALESCE(s.segment_text, f.text) AS segment_text,
    s.sentiment_label AS segment_sentiment_label,
    s.sentiment_score AS segment_sentiment_score
FROM stg_issue_member AS m
JOIN stg_feedback AS f ON f.feedback_id = m.feedback_id
LEFT JOIN stg_feedback_segment AS s ON s.feedback_id = m.feedback_id AND s.position = m.segment_position
