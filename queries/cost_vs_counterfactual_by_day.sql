-- @title Actual cost vs all-strong counterfactual by day
-- @description Per UTC day: requests, the actual cost of the priced requests, the unpriced requests (never
-- counted as $0), and over the successful requests that are priced and can be re-priced on both the strong and
-- the cheap model (as the report's counterfactual section does): their actual cost, the all-strong and all-cheap
-- counterfactuals (their logged tokens re-priced on the strong / cheap model of their router — configured, else
-- its most used one — else of their family, in their source Region at their time), savings in USD and
-- savings % = 100 × (1 − actual / all-strong); `excluded_requests` counts the successful requests left out.
-- One difference from the report: the view learns a router's most used models over the whole ledger, the
-- report over its window; they differ only when a router's most used strong model changes between windows.
-- @param since: timestamp = now-7d  -- start of the window (inclusive)
-- @param until: timestamp = now     -- end of the window (exclusive)
WITH windowed AS (
    SELECT day, status, cost_usd, counterfactual_strong_usd, counterfactual_cheap_usd,
           (status = 'success' AND cost_usd IS NOT NULL AND counterfactual_strong_usd IS NOT NULL
            AND counterfactual_cheap_usd IS NOT NULL) AS compared
    FROM requests
    WHERE ts_us >= :since AND ts_us < :until
),
daily AS (
    SELECT day,
           count(*) AS requests,
           count(cost_usd) AS priced_requests,
           sum(cost_usd IS NULL) AS unpriced_requests,
           sum(cost_usd) AS cost_usd,
           sum(compared) AS compared_requests,
           sum(status = 'success' AND NOT compared) AS excluded_requests,
           sum(CASE WHEN compared THEN cost_usd END) AS compared_actual_usd,
           sum(CASE WHEN compared THEN counterfactual_strong_usd END) AS all_strong_usd,
           sum(CASE WHEN compared THEN counterfactual_cheap_usd END) AS all_cheap_usd
    FROM windowed
    GROUP BY day
)
SELECT day,
       requests,
       priced_requests,
       unpriced_requests,
       cost_usd,
       compared_requests,
       excluded_requests,
       compared_actual_usd,
       all_strong_usd,
       all_cheap_usd,
       all_strong_usd - compared_actual_usd AS savings_usd,
       CASE WHEN all_strong_usd > 0 THEN 100.0 * (1 - compared_actual_usd / all_strong_usd) END AS savings_pct
FROM daily
ORDER BY day;
