-- The three largest open issues of each touchpoint.
SELECT touchpoint, issue_id, label, status, volume, negative_share, volume_last_7_days
FROM (
    SELECT o.*, ROW_NUMBER() OVER (PARTITION BY touchpoint ORDER BY volume DESC, issue_id) AS rank_in_touchpoint
    FROM mart_issue_overview AS o
) AS ranked
WHERE rank_in_touchpoint <= 3
ORDER BY touchpoint, rank_in_touchpoint;
