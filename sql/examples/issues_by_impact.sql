-- Which open issues cost their touchpoint the most: stars first, then NPS, CSAT and CES points.
-- An impact is how much the touchpoint's score would rise without the issue's feedback; it is NULL
-- where the touchpoint has no such score, or fewer than 5 answers would be left without the issue.
SELECT touchpoint, issue_id, label, volume, rating_impact, nps_impact, csat_impact, ces_impact
FROM mart_issue_overview
WHERE COALESCE(rating_impact, nps_impact, csat_impact, ces_impact) IS NOT NULL
ORDER BY
    CASE WHEN rating_impact IS NULL THEN 1 ELSE 0 END,
    rating_impact DESC,
    nps_impact DESC,
    issue_id;
