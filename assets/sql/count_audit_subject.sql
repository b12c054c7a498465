-- Whether the warehouse knows a subject besides the snapshots: in the raw comments or the
-- current pair selection. One parameter is set, the others NULL (their counts are 0).
-- Author and subreddit names are case-insensitive, as on Reddit.
SELECT
    (SELECT count(*) FROM reddit_comments WHERE id = $comment)
  + (SELECT count(*) FROM reddit_comments WHERE lower(author) = lower($author))
  + (SELECT count(*) FROM reddit_comments WHERE lower(subreddit) = lower($subreddit)) AS raw_comments,
    (SELECT count(*) FROM preference_pairs WHERE pair_id = $pair)
  + (SELECT count(*) FROM preference_pairs WHERE chosen_id = $comment OR rejected_id = $comment)
  + (SELECT count(*) FROM preference_pairs WHERE lower($author) IN (lower(chosen_author), lower(rejected_author)))
  + (SELECT count(*) FROM preference_pairs WHERE lower(subreddit) = lower($subreddit)) AS current_pairs
