/// The view query files read: one row per request as reports count them, with friendly names, the
/// catalog's family, tier and cost, and the all-strong counterfactual. Created per connection (TEMP), so
/// the ledger file is never written and the prices are the ones in force for this run.
enum LedgerViews {
    static let requestsView = """
        CREATE TEMP VIEW requests AS
        SELECT r.*,
               model_family(r.model) AS family,
               model_tier(r.model) AS tier,
               CASE
                   WHEN r.status = 'failure' AND r.total_tokens = 0 THEN 0.0
                   WHEN r.tokens_missing THEN NULL
                   ELSE cost_usd(r.model, r.region, r.ts_us, r.input_tokens, r.output_tokens,
                                 r.cache_read_tokens, r.cache_write_tokens)
               END AS cost_usd,
               CASE
                   WHEN r.status = 'success' AND NOT r.tokens_missing AND r.model IS NOT NULL
                   THEN strong_cost_usd(r.router, r.model, r.region, r.ts_us, r.input_tokens, r.output_tokens,
                                        r.cache_read_tokens, r.cache_write_tokens)
               END AS counterfactual_strong_usd,
               CASE
                   WHEN r.status = 'success' AND NOT r.tokens_missing AND r.model IS NOT NULL
                   THEN cheap_cost_usd(r.router, r.model, r.region, r.ts_us, r.input_tokens, r.output_tokens,
                                       r.cache_read_tokens, r.cache_write_tokens)
               END AS counterfactual_cheap_usd
        FROM (
            SELECT v.id, v.source_kind, v.request_id, v.ts_us, v.ts, v.day, v.hour,
                   v.account, v.principal, v.region, v.inference_region,
                   COALESCE(v.inference_region, v.region) AS served_region,
                   v.tenant,
                   -- The router as reports see it: the prompt router, or a LiteLLM group that routes.
                   COALESCE(v.router, routing_group(v.original_model_group), routing_group(v.model_group)) AS router,
                   v.raw_model_id,
                   v.model AS requested_model,
                   COALESCE(v.served_model, CASE WHEN v.router IS NULL THEN v.model END) AS model,
                   v.served_model, v.model_group, v.original_model_group, v.deployment, v.operation,
                   v.status, v.error_code, v.error_class,
                   (v.status = 'failure' AND v.error_code IN
                       ('ThrottlingException', 'TooManyRequestsException', '429', 'RateLimitError', 'rate_limit_error')) AS throttled,
                   v.input_tokens, v.output_tokens, v.cache_read_tokens, v.cache_write_tokens,
                   COALESCE(v.input_tokens, 0) + COALESCE(v.output_tokens, 0)
                       + COALESCE(v.cache_read_tokens, 0) + COALESCE(v.cache_write_tokens, 0) AS total_tokens,
                   v.latency_ms, v.ttft_ms, v.logged_cost_usd, v.correlation_id, v.fallback_attempt,
                   v.tokens_missing, v.served_model_unresolved, v.profile_unresolved, v.cross_region, v.streaming, v.flags
            FROM invocations_v v
            WHERE NOT (v.source_kind = 'litellm-spend' AND EXISTS (
                SELECT 1 FROM request_keys k WHERE k.source_kind = 'litellm' AND k.request_id = v.request_id))
        ) AS r;
        """
}
