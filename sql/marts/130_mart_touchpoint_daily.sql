-- Volume and tone per touchpoint and day. Key: (touchpoint, day).
CREATE VIEW mart_touchpoint_daily AS
SELECT
    touchpoint,
    day,
    volume,
    negative_share,
    ROUND(volume * negative_share) AS negative_volume,
    mean_sentiment,
    mean_rating,
    nps,
    nps_responses,
    csat,
    csat_responses,
    ces,
    ces_responses
FROM stg_touchpoint_daily
