-- @title Top tenants by cost
-- @description Tenants by priced cost: requests, failures, throttled requests and the throttle rate
-- (throttled / requests), tokens by kind and in total, cost (NULL when none of the tenant's requests could
-- be priced), cost share (the tenant's priced cost / the priced cost of all tenants in the window) and the
-- unpriced requests the cost leaves out. Requests without a tenant are grouped as `(no tenant)`.
-- @param since: timestamp = now-7d  -- start of the window (inclusive)
-- @param until: timestamp = now     -- end of the window (exclusive)
-- @param limit: integer = 20        -- how many tenants to show
WITH per_tenant AS (
    SELECT COALESCE(tenant, '(no tenant)') AS tenant,
           count(*) AS requests,
           sum(status = 'failure') AS failed,
           sum(throttled) AS throttled,
           COALESCE(sum(input_tokens), 0) AS input_tokens,
           COALESCE(sum(output_tokens), 0) AS output_tokens,
           COALESCE(sum(cache_read_tokens), 0) AS cache_read_tokens,
           COALESCE(sum(cache_write_tokens), 0) AS cache_write_tokens,
           sum(total_tokens) AS total_tokens,
           sum(cost_usd) AS cost_usd,
           sum(cost_usd IS NULL) AS unpriced_requests
    FROM requests
    WHERE ts_us >= :since AND ts_us < :until
    GROUP BY 1
)
SELECT tenant,
       requests,
       failed,
       throttled,
       1.0 * throttled / requests AS throttle_rate,
       input_tokens,
       output_tokens,
       cache_read_tokens,
       cache_write_tokens,
       total_tokens,
       cost_usd,
       CASE WHEN sum(cost_usd) OVER () > 0 THEN cost_usd / sum(cost_usd) OVER () END AS cost_share,
       unpriced_requests
FROM per_tenant
ORDER BY COALESCE(cost_usd, -1) DESC, requests DESC, tenant
LIMIT :limit;
