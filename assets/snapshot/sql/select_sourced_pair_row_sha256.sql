-- select_pair_row_sha256.sql for rows that have `source` and `community`. A Reddit pair whose
-- community is its subreddit is digested without them: they say nothing its row did not say
-- before sources existed, so the same Reddit pairs keep the snapshot id they had. Every
-- other pair is digested whole.
SELECT pair_id, sha256(to_json(reddit_row)) AS content_sha256
FROM (
    SELECT * EXCLUDE (source, community) FROM snapshot_pair_rows
    WHERE coalesce(source = 'reddit' AND community IS NOT DISTINCT FROM subreddit, false)
) AS reddit_row
UNION ALL
SELECT pair_id, sha256(to_json(snapshot_pair_rows)) AS content_sha256
FROM snapshot_pair_rows
WHERE NOT coalesce(source = 'reddit' AND community IS NOT DISTINCT FROM subreddit, false)
