-- Whether the warehouse knows a subject besides the snapshots: in the raw comments or the
-- current pair selection. One parameter is set, the others NULL (their counts are 0).
SELECT
    (SELECT count(*) FROM reddit_comments WHERE id = $comment)
  + (SELECT count(*) FROM reddit_comments WHERE author = $author)
  + (SELECT count(*) FROM reddit_comments WHERE lower(subreddit) = lower($subreddit)) AS raw_comments,
    (SELECT count(*) FROM preference_pairs WHERE pair_id = $pair)
  + (SELECT count(*) FROM preference_pairs WHERE chosen_id = $comment OR rejected_id = $comment)
  + (SELECT count(*) FROM preference_pairs WHERE chosen_author = $author OR rejected_author = $author)
  + (SELECT count(*) FROM preference_pairs WHERE lower(subreddit) = lower($subreddit)) AS current_pairs
