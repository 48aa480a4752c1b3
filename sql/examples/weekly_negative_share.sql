-- Negative share per touchpoint over the last 7 days of data (PostgreSQL date arithmetic).
SELECT touchpoint, SUM(volume) AS volume, SUM(negative_volume) * 1.0 / SUM(volume) AS negative_share
FROM mart_touchpoint_daily
WHERE day >= (SELECT MAX(day) FROM mart_touchpoint_daily) - 6
GROUP BY touchpoint
ORDER BY negative_share DESC;
