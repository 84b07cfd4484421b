-- @title Unpriced requests by model, Region and reason
-- @description Requests whose cost cannot be known (cost_usd IS NULL; they are left out of every cost, never
-- counted as $0), by model, source Region and reason: `tokens-missing` (a success logged without token
-- counts), `served-model-unresolved` (a router's choice is not in the log; the model reads
-- `(unresolved) <router>`), `profile-unresolved` (an application inference profile not in --profile-map),
-- `no-price` (the model has no catalog price in that Region at that time) and `no-price-for-token-kind` (a
-- token kind was used that the catalog has no price for). A failed call without tokens costs 0, so it is
-- never listed.
-- @param since: timestamp = now-7d  -- start of the window (inclusive)
-- @param until: timestamp = now     -- end of the window (exclusive)
WITH unpriced AS (
    SELECT COALESCE(model, '(unresolved) ' || router, requested_model, '(unknown)') AS model,
           region,
           CASE
               WHEN tokens_missing THEN 'tokens-missing'
               WHEN model IS NULL AND (flags & 4) != 0 THEN 'profile-unresolved'
               WHEN model IS NULL THEN 'served-model-unresolved'
               WHEN cost_usd(model, region, ts_us, 0, 0, 0, 0) IS NULL THEN 'no-price'
               ELSE 'no-price-for-token-kind'
           END AS reason,
           ts_us
    FROM requests
    WHERE ts_us >= :since AND ts_us < :until
      AND cost_usd IS NULL
)
SELECT model,
       region,
       reason,
       count(*) AS requests,
       strftime('%Y-%m-%dT%H:%M:%SZ', min(ts_us) / 1000000, 'unixepoch') AS first_seen,
       strftime('%Y-%m-%dT%H:%M:%SZ', max(ts_us) / 1000000, 'unixepoch') AS last_seen
FROM unpriced
GROUP BY model, region, reason
ORDER BY requests DESC, model, region, reason;
