-- @title Cross-Region distribution per account
-- @description Bedrock requests per account, source Region → inference Region, with the share of that
-- account's requests from the source Region in %. A request without an inference Region (a failed call,
-- or one served in place) counts where it was sent: inference_region = COALESCE(inference_region, region).
-- @param since: timestamp = now-7d  -- start of the window (inclusive)
-- @param until: timestamp = now     -- end of the window (exclusive)
WITH flows AS (
    SELECT COALESCE(account, '(none)') AS account,
           region AS source_region,
           COALESCE(inference_region, region) AS inference_region,
           count(*) AS requests
    FROM requests
    WHERE ts_us >= :since AND ts_us < :until
      AND source_kind = 'bedrock' AND region IS NOT NULL
    GROUP BY 1, 2, 3
)
SELECT account,
       source_region,
       inference_region,
       requests,
       100.0 * requests / sum(requests) OVER (PARTITION BY account, source_region) AS share_pct
FROM flows
ORDER BY account, source_region, requests DESC, inference_region;
