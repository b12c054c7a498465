-- A reused snapshot's rows are already there: the same id means the same content.
-- Each answer or comment's file and line: a Reddit comment's, or a Stack Exchange answer's
-- ("<site>:<id>": the site's Posts.xml).
INSERT INTO snapshot_pairs
SELECT $snapshot_id, p.pair_id, p.split, p.post_id, p.subreddit, p.chosen_id, p.rejected_id,
       p.chosen_author, p.rejected_author, p.chosen_score, p.rejected_score,
       coalesce(chosen.source, se_chosen.source), coalesce(chosen.source_line, se_chosen.source_line),
       coalesce(rejected.source, se_rejected.source), coalesce(rejected.source_line, se_rejected.source_line),
       d.content_sha256, p.post_author, p.source, p.community,
       chosen.score_age_s, rejected.score_age_s  -- Reddit's; NULL for Stack Exchange
FROM snapshot_pair_rows AS p
JOIN snapshot_pair_digests AS d ON d.pair_id = p.pair_id
LEFT JOIN reddit_comments AS chosen ON p.source = 'reddit' AND chosen.id = p.chosen_id
LEFT JOIN reddit_comments AS rejected ON p.source = 'reddit' AND rejected.id = p.rejected_id
LEFT JOIN se_posts AS se_chosen ON p.source = 'stackexchange'
    AND se_chosen.site = split_part(p.chosen_id, ':', 1)
    AND se_chosen.id = try_cast(split_part(p.chosen_id, ':', 2) AS BIGINT)
LEFT JOIN se_posts AS se_rejected ON p.source = 'stackexchange'
    AND se_rejected.site = split_part(p.rejected_id, ':', 1)
    AND se_rejected.id = try_cast(split_part(p.rejected_id, ':', 2) AS BIGINT)
ON CONFLICT DO NOTHING
