-- One row per issue, without the binary centroid. Key: issue_id.
CREATE VIEW stg_issue AS
SELECT
    issue_id,
    touchpoint,
    language,
    label,
    volume,
    volume_last_7_days,
    negative_share,
    mean_sentiment,
    mean_rating,
    nps,
    nps_responses,
    csat,
    csat_responses,
    ces,
    ces_responses,
    rating_impact,
    nps_impact,
    csat_impact,
    ces_impact,
    first_seen,
    last_seen,
    status,
    window_end
FROM issue
