-- @title LiteLLM deployment distribution
-- @description LiteLLM calls per deployment inside each model group: requests, share of the group's calls
-- (0…1), failures, and the p50 latency in ms of the deployment's successful calls (exact nearest-rank).
-- The deployment is LiteLLM's `model_id`, else `api_base`; spend-log rows whose call also has a logging
-- payload are counted once.
-- @param since: timestamp = now-7d  -- start of the window (inclusive)
-- @param until: timestamp = now     -- end of the window (exclusive)
WITH deployments AS (
    SELECT model_group,
           deployment,
           count(*) AS requests,
           sum(status = 'failure') AS failed,
           percentile(CASE WHEN status = 'success' THEN latency_ms END, 50) AS latency_p50_ms
    FROM requests
    WHERE ts_us >= :since AND ts_us < :until
      AND source_kind <> 'bedrock' AND deployment IS NOT NULL
    GROUP BY model_group, deployment
)
SELECT model_group,
       deployment,
       requests,
       1.0 * requests / sum(requests) OVER (PARTITION BY model_group) AS share,
       failed,
       latency_p50_ms
FROM deployments
ORDER BY model_group, requests DESC, deployment;
