-- @title Requests and tokens by model per hour
-- @description Requests, failures and tokens (input + output + cache read + cache write, and each kind) per
-- model and UTC hour: the ledger's version of the Logs Insights query
-- `stats count(*), sum(inputTokenCount) by modelId, bin(1h)`. Unlike the raw `modelId`, `model` is the
-- canonical model that served the request (ARN, geo prefix and `bedrock/` removed; a prompt router's choice),
-- `(unresolved)` when a router's choice is not in the log. Unknown token counts add nothing. LiteLLM spend
-- rows whose call also has a logging payload are counted once.
-- @param since: timestamp = now-7d  -- start of the window (inclusive)
-- @param until: timestamp = now     -- end of the window (exclusive)
SELECT hour,
       COALESCE(model, '(unresolved)') AS model,
       count(*) AS requests,
       sum(status = 'failure') AS failed,
       COALESCE(sum(input_tokens), 0) AS input_tokens,
       COALESCE(sum(output_tokens), 0) AS output_tokens,
       COALESCE(sum(cache_read_tokens), 0) AS cache_read_tokens,
       COALESCE(sum(cache_write_tokens), 0) AS cache_write_tokens,
       sum(total_tokens) AS total_tokens
FROM requests
WHERE ts_us >= :since AND ts_us < :until
GROUP BY hour, COALESCE(model, '(unresolved)')
ORDER BY hour, requests DESC, model;
