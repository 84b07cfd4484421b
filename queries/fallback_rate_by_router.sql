-- @title Router fallback rate by router
-- @description Per router: requests, successful requests whose served model is known (resolved), successful
-- requests whose choice is not logged (unresolved), those served by the router's configured `fallback` model,
-- and the router fallback rate = fallback / resolved (NULL when the config gives the router no fallback).
-- A router is a Bedrock prompt router, or a LiteLLM model group that routes: one with a configured fallback,
-- or whose successful calls were served by both a strong and a cheap model (as the report infers them).
-- Routers without a config are listed with a NULL fallback. Unlike the report, a configured router with no
-- request in the window has no row, and a LiteLLM group configured without a fallback that serves a single
-- tier is not recognized as a router (the config is only visible here through router_fallback_model()).
-- @param since: timestamp = now-7d  -- start of the window (inclusive)
-- @param until: timestamp = now     -- end of the window (exclusive)
WITH windowed AS (
    SELECT * FROM requests WHERE ts_us >= :since AND ts_us < :until
),
routing_groups AS (
    SELECT model_group AS grp FROM windowed
    WHERE source_kind <> 'bedrock' AND status = 'success' AND model_group IS NOT NULL AND tier IS NOT NULL
    GROUP BY model_group
    HAVING count(DISTINCT tier) = 2
),
routed AS (
    SELECT w.*,
           COALESCE(CASE WHEN w.source_kind = 'bedrock' THEN w.router END,
                    CASE WHEN router_fallback_model(w.original_model_group) IS NOT NULL
                              OR w.original_model_group IN (SELECT grp FROM routing_groups)
                         THEN w.original_model_group END,
                    CASE WHEN router_fallback_model(w.model_group) IS NOT NULL
                              OR w.model_group IN (SELECT grp FROM routing_groups)
                         THEN w.model_group END) AS router_id,
           (w.source_kind = 'bedrock' AND w.router IS NOT NULL) AS is_bedrock_router
    FROM windowed w
),
per_router AS (
    SELECT router_id,
           max(is_bedrock_router) AS bedrock,
           router_fallback_model(router_id) AS fallback_model,
           count(*) AS requests,
           sum(status = 'success' AND model IS NOT NULL) AS resolved_requests,
           sum(status = 'success' AND model IS NULL) AS unresolved_requests,
           sum(status = 'success' AND model IS NOT NULL AND model = router_fallback_model(router_id)) AS fallback_requests
    FROM routed
    WHERE router_id IS NOT NULL
    GROUP BY router_id
)
SELECT router_id AS router,
       CASE WHEN bedrock THEN 'bedrock' ELSE 'litellm' END AS kind,
       fallback_model,
       requests,
       resolved_requests,
       unresolved_requests,
       CASE WHEN fallback_model IS NOT NULL THEN fallback_requests END AS fallback_requests,
       CASE WHEN fallback_model IS NOT NULL AND resolved_requests > 0
            THEN 1.0 * fallback_requests / resolved_requests END AS fallback_rate
FROM per_router
ORDER BY requests DESC, router;
