-- @title Latency percentiles by model
-- @description Per model, over its successful requests: latency and time-to-first-token p50, p90 and p99 in
-- ms (exact nearest-rank: the smallest value with ⌈n·p/100⌉ samples at or below it) and the number of
-- samples each is taken over (requests that logged the value). The model is the one that served the
-- request; router requests whose choice is not logged are left out.
-- @param since: timestamp = now-7d  -- start of the window (inclusive)
-- @param until: timestamp = now     -- end of the window (exclusive)
SELECT model,
       count(*) AS requests,
       count(latency_ms) AS latency_samples,
       percentile(latency_ms, 50) AS latency_p50_ms,
       percentile(latency_ms, 90) AS latency_p90_ms,
       percentile(latency_ms, 99) AS latency_p99_ms,
       count(ttft_ms) AS ttft_samples,
       percentile(ttft_ms, 50) AS ttft_p50_ms,
       percentile(ttft_ms, 90) AS ttft_p90_ms,
       percentile(ttft_ms, 99) AS ttft_p99_ms
FROM requests
WHERE ts_us >= :since AND ts_us < :until
  AND status = 'success' AND model IS NOT NULL
GROUP BY model
ORDER BY requests DESC, model;
