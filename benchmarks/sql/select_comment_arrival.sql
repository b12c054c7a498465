-- The share of the threads' comments already written when a live fetch reads them, for each
-- fetch in `fetches` (a name and the hours after its day ended). A day's posts are spread
-- over its 24 hours, so a post is between h and h + 24 hours old at a fetch made h hours
-- after the day ended; a comment written d hours after its post is there with the chance
-- clamp((h + 24 - d) / 24, 0, 1). Only comments whose post is stored count.
WITH delays AS (
    SELECT (c.created_utc - s.created_utc) / 3600.0 AS hours, c.parent_id LIKE 't3_%' AS top_level
    FROM reddit_comments AS c JOIN reddit_submissions AS s ON s.id = c.post_id
    WHERE c.created_utc IS NOT NULL AND s.created_utc IS NOT NULL
),
fetches AS (SELECT unnest($names) AS live_fetch, unnest($hours) AS after_day_end)
SELECT live_fetch, after_day_end,
       100 * avg(least(greatest((after_day_end + 24 - hours) / 24, 0), 1)) AS all_pct,
       100 * avg(least(greatest((after_day_end + 24 - hours) / 24, 0), 1)) FILTER (WHERE top_level) AS top_level_pct,
       count(*) AS comments
FROM fetches, delays
GROUP BY live_fetch, after_day_end
ORDER BY after_day_end;
