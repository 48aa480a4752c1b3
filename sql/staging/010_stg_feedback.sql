-- One row per feedback, with its sentiment and primary touchpoint. Key: feedback_id.
CREATE VIEW stg_feedback AS
SELECT
    f.feedback_id,
    f.source,
    f.external_id,
    f.source_kind,
    f.created_at,
    f.created_day,
    f.text,
    f.language,
    f.rating,
    s.label AS sentiment_label,
    s.score AS sentiment_score,
    s.p_negative,
    s.p_neutral,
    s.p_positive,
    s.evidence AS sentiment_evidence,
    s.evidence_negative AS sentiment_evidence_negative,
    s.model_name AS sentiment_model,
    s.model_version AS sentiment_model_version,
    t.touchpoint,
    t.confidence AS touchpoint_confidence,
    t.method AS touchpoint_method
FROM feedback AS f
LEFT JOIN feedback_sentiment AS s ON s.feedback_id = f.feedback_id
LEFT JOIN feedback_touchpoint AS t ON t.feedback_id = f.feedback_id AND t.is_primary = TRUE
