-- The selected pairs with texts, prompt, split and the post's author. Split by post: eval
-- when the first 32 bits of md5($split_salt || post_id), as a fraction of 2^32, are
-- < $eval_fraction. A deleted post author is NULL (ingest stores it so; a row written another
-- way may say "[deleted]", which must match no forget request).
INSERT INTO preference_pairs
SELECT s.pair_id, s.post_id, s.subreddit, p.prompt,
       s.chosen_id, s.rejected_id, ch.body, rj.body, ch.author, rj.author,
       s.chosen_score, s.rejected_score, s.score_ratio, p.created_utc,
       s.chosen_created_utc, s.rejected_created_utc,
       CASE WHEN ('0x' || substr(md5($split_salt || s.post_id), 1, 8))::UBIGINT / 4294967296.0
                 < $eval_fraction
            THEN 'eval' ELSE 'train' END AS split,
       nullif(p.author, '[deleted]') AS post_author,
       'reddit' AS source, s.subreddit AS community
FROM pair_selection AS s
JOIN pair_posts AS p ON p.id = s.post_id
JOIN pair_texts AS ch ON ch.id = s.chosen_id
JOIN pair_texts AS rj ON rj.id = s.rejected_id
ORDER BY s.post_id, s.score_ratio DESC, s.chosen_score DESC, s.pair_id;
