-- Whether the warehouse knows a subject besides the snapshots: in the raw comments or posts,
-- or the current pair selection (an author by either comment or by the post). One parameter
-- is set, the others NULL (their counts are 0). Author and subreddit names are
-- case-insensitive, as on Reddit.
SELECT
    (SELECT count(*) FROM reddit_comments WHERE id = $comment)
  + (SELECT count(*) FROM reddit_comments WHERE lower(author) = lower($author))
  + (SELECT count(*) FROM reddit_comments WHERE lower(subreddit) = lower($subreddit)) AS raw_comments,
    (SELECT count(*) FROM reddit_submissions WHERE lower(author) = lower($author))
  + (SELECT count(*) FROM reddit_submissions WHERE lower(subreddit) = lower($subreddit)) AS raw_posts,
    (SELECT count(*) FROM preference_pairs WHERE pair_id = $pair)
  + (SELECT count(*) FROM preference_pairs WHERE chosen_id = $comment OR rejected_id = $comment)
  + (SELECT count(*) FROM preference_pairs
     WHERE lower($author) IN (lower(chosen_author), lower(rejected_author), lower(post_author)))
  + (SELECT count(*) FROM preference_pairs WHERE lower(subreddit) = lower($subreddit)) AS current_pairs
