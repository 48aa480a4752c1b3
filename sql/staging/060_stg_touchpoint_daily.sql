-- Volume, tone, stars and survey KPIs per touchpoint and day. Key: (touchpoint, day).
CREATE VIEW stg_touchpoint_daily AS
SELECT
    touchpoint,
    day,
    volume,
    negative_share,
    mean_sentiment,
    mean_rating,
    nps,
    nps_responses,
    csat,
    csat_responses,
    ces,
    ces_responses
FROM touchpoint_daily
