-- A reused snapshot's rows are already there: the same id means the same content.
INSERT INTO snapshot_singles
SELECT $snapshot_id, s.single_id, s.split, s.post_id, s.subreddit, s.comment_id, s.author,
       s.post_author, s.label, s.score, c.source, c.source_line, d.content_sha256
FROM snapshot_single_rows AS s
JOIN snapshot_single_digests AS d ON d.pair_id = s.single_id
LEFT JOIN reddit_comments AS c ON c.id = s.comment_id
ON CONFLICT DO NOTHING
