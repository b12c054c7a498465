-- The Stack Exchange pairs into the one pair table, by column name (a column another source
-- added is NULL here). `subreddit` is NULL: the site is the `community`.
INSERT INTO preference_pairs BY NAME
SELECT pair_id, post_id, prompt, chosen_id, rejected_id, chosen, rejected, chosen_author, rejected_author,
       chosen_score, rejected_score, score_ratio, post_created_utc, chosen_created_utc, rejected_created_utc,
       split, post_author, source, community
FROM stackexchange_pairs;
