-- @title Throttles by model and hour
-- @description Per UTC hour and model, where anything was throttled: requests, throttled requests
-- (ThrottlingException, TooManyRequestsException, HTTP 429, RateLimitError) and the throttle rate, next to
-- the whole hour's requests, throttled requests and throttle rate. The model is the one that served the
-- request, else the one asked for (the view's `model` already falls back to it when nothing routed the
-- call), else the router of a routed call whose choice is unknown (a throttled router call has none).
-- @param since: timestamp = now-7d  -- start of the window (inclusive)
-- @param until: timestamp = now     -- end of the window (exclusive)
WITH cells AS (
    SELECT hour,
           COALESCE(model, router, '(unknown)') AS model,
           count(*) AS requests,
           sum(throttled) AS throttled
    FROM requests
    WHERE ts_us >= :since AND ts_us < :until
    GROUP BY 1, 2
),
hours AS (
    SELECT hour, model, requests, throttled,
           sum(requests) OVER (PARTITION BY hour) AS hour_requests,
           sum(throttled) OVER (PARTITION BY hour) AS hour_throttled
    FROM cells
)
SELECT hour,
       model,
       requests,
       throttled,
       1.0 * throttled / requests AS throttle_rate,
       hour_requests,
       hour_throttled,
       1.0 * hour_throttled / hour_requests AS hour_throttle_rate
FROM hours
WHERE throttled > 0
ORDER BY hour, throttled DESC, model;
