-- What a CX team reads each morning: every open issue with its size, tone and last-7-days volume.
-- Merged issues live on in the issue they were merged into (see mart_issue_lineage). `label` is the
-- name analysts gave the issue where they gave one, else its keyword label. Key: issue_id.
CREATE VIEW mart_issue_overview AS
SELECT
    i.issue_id,
    i.touchpoint,
    i.language,
    COALESCE(n.analyst_label, i.label) AS label,
    i.label AS keyword_label,
    i.status,
    i.volume,
    i.volume_last_7_days,
    i.negative_share,
    i.mean_sentiment,
    i.mean_rating,
    i.nps,
    i.nps_responses,
    i.csat,
    i.csat_responses,
    i.ces,
    i.ces_responses,
    i.rating_impact,
    i.nps_impact,
    i.csat_impact,
    i.ces_impact,
    i.first_seen,
    i.last_seen,
    i.window_end
FROM stg_issue AS i
LEFT JOIN stg_issue_label AS n ON n.issue_id = i.issue_id
WHERE i.status NOT IN ('resolved', 'merged')
