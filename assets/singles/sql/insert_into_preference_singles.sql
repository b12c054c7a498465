-- The kept singles with prompt, split and the post's author. The split is the pairs' own
-- (pairs/sql/insert_into_preference_pairs.sql, with the pairs build's salt and fraction):
-- a post's pairs and singles are always on the same side.
INSERT INTO preference_singles
SELECT md5(c.post_id || ':' || c.id) AS single_id, c.post_id, c.subreddit, p.prompt,
       c.id, c.body, c.author, c.label, c.score, c.thread_median, p.created_utc, c.created_utc,
       CASE WHEN ('0x' || substr(md5($split_salt || c.post_id), 1, 8))::UBIGINT / 4294967296.0
                 < $eval_fraction
            THEN 'eval' ELSE 'train' END AS split,
       nullif(p.author, '[deleted]') AS post_author
FROM single_candidates AS c
JOIN pair_posts AS p ON p.id = c.post_id
WHERE c.removed_by IS NULL
  AND c.id NOT IN (SELECT id FROM single_dedup_removed)
ORDER BY c.post_id, c.label DESC, c.score DESC, c.id;
