-- @title Gateway fallback rate by tenant
-- @description Per tenant: logical requests, gateway fallbacks and the gateway fallback rate, retried
-- successes, failed after fallback and failed without fallback. A logical request is the attempts sharing a
-- correlation id within one gateway (Bedrock ids and LiteLLM ids never mix), or a single uncorrelated
-- attempt, and belongs to the tenant of its first attempt. It is a gateway fallback when its first success
-- came on another model or model group than its first attempt after an error, or when that success's LiteLLM
-- row logs attempted_fallbacks > 0; a retried success when it succeeded on the same target after an error;
-- failed after fallback when nothing succeeded and another target was tried (or attempted_fallbacks > 0).
-- Attempts outside the window are not seen: a logical request cut by the window is judged on its part inside.
-- @param since: timestamp = now-7d  -- start of the window (inclusive)
-- @param until: timestamp = now     -- end of the window (exclusive)
WITH attempts AS (
    SELECT id, ts_us, tenant, status, fallback_attempt,
           CASE WHEN source_kind = 'bedrock' THEN 'bedrock' ELSE 'litellm' END AS gateway,
           NULLIF(correlation_id, '') AS correlation,
           CASE WHEN NULLIF(correlation_id, '') IS NULL THEN id END AS single_id,
           -- What an attempt was aimed at: the gateway model group, else the model.
           COALESCE(model_group, served_model, requested_model) AS target
    FROM requests
    WHERE ts_us >= :since AND ts_us < :until
),
ordered AS (
    SELECT a.*,
           row_number() OVER logical AS attempt_no,
           first_value(target) OVER logical AS first_target
    FROM attempts a
    WINDOW logical AS (PARTITION BY gateway, correlation, single_id ORDER BY ts_us, id
                       ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
),
numbered AS (
    SELECT o.*,
           min(CASE WHEN status = 'success' THEN attempt_no END)
               OVER (PARTITION BY gateway, correlation, single_id) AS success_no
    FROM ordered o
),
logical AS (
    SELECT max(CASE WHEN attempt_no = 1 THEN COALESCE(tenant, '(no tenant)') END) AS tenant,
           count(*) AS attempts,
           max(success_no IS NOT NULL) AS succeeded,
           -- an error before the first success (any error when nothing succeeded)
           max(status = 'failure' AND (success_no IS NULL OR attempt_no < success_no)) AS failure_first,
           -- the first success came on another target than the first attempt / logs a LiteLLM fallback
           max(COALESCE(attempt_no = success_no AND target IS NOT first_target, 0)) AS success_elsewhere,
           max(COALESCE(attempt_no = success_no AND COALESCE(fallback_attempt, 0) > 0, 0)) AS success_logged_fallback,
           -- another target was tried, or LiteLLM logged a fallback attempt
           max(COALESCE(fallback_attempt, 0) > 0 OR target IS NOT first_target) AS tried_fallback
    FROM numbered
    GROUP BY gateway, correlation, single_id
),
outcomes AS (
    SELECT tenant, attempts,
           succeeded AND (success_logged_fallback OR (failure_first AND success_elsewhere)) AS gateway_fallback,
           succeeded AND failure_first AND NOT success_logged_fallback AND NOT success_elsewhere AS retried_success,
           NOT succeeded AND tried_fallback AS failed_after_fallback,
           NOT succeeded AND NOT tried_fallback AS failed_without_fallback
    FROM logical
)
SELECT tenant,
       sum(attempts) AS attempts,
       count(*) AS logical_requests,
       sum(gateway_fallback) AS gateway_fallbacks,
       1.0 * sum(gateway_fallback) / count(*) AS gateway_fallback_rate,
       sum(retried_success) AS retried_successes,
       sum(failed_after_fallback) AS failed_after_fallback,
       sum(failed_without_fallback) AS failed_without_fallback
FROM outcomes
GROUP BY tenant
ORDER BY logical_requests DESC, tenant;
