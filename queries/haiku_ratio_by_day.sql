-- @title Haiku ratio by day
-- @description Per UTC day: successful Claude-family requests, those served by a Haiku model, and the haiku
-- ratio (Haiku / all successful Claude requests; NULL on a day without Claude traffic). The family comes from
-- the price catalog; a router request counts under the model it was served by, and is left out when the
-- router's choice is not logged. Every day with any request in the window has a row.
-- @param since: timestamp = now-7d  -- start of the window (inclusive)
-- @param until: timestamp = now     -- end of the window (exclusive)
SELECT day,
       count(*) AS requests,
       sum(status = 'success' AND family = 'anthropic') AS claude_requests,
       sum(status = 'success' AND family = 'anthropic' AND instr(model, 'haiku') > 0) AS haiku_requests,
       CASE WHEN sum(status = 'success' AND family = 'anthropic') > 0
            THEN 1.0 * sum(status = 'success' AND family = 'anthropic' AND instr(model, 'haiku') > 0)
                 / sum(status = 'success' AND family = 'anthropic')
       END AS haiku_ratio
FROM requests
WHERE ts_us >= :since AND ts_us < :until
GROUP BY day
ORDER BY day;
