-- The segments a feedback is read in (sentences, or the sides of a contrast), each with its tone and
-- touchpoint. Key: (feedback_id, position).
CREATE VIEW stg_feedback_segment AS
SELECT
    feedback_id,
    position,
    text AS segment_text,
    char_start,
    char_end,
    label AS sentiment_label,
    score AS sentiment_score,
    p_negative,
    p_neutral,
    p_positive,
    touchpoint,
    touchpoint_confidence,
    touchpoint_method
FROM feedback_segment
