-- Whether the warehouse knows a subject besides the snapshots: in the raw comments or posts
-- (Reddit's, or Stack Exchange's for a site, question, answer or user), or the current pair
-- selection (an author by either comment or by the post). One parameter is set, the others
-- NULL (their counts are 0). Author and subreddit names are case-insensitive, as on Reddit.
SELECT
    (SELECT count(*) FROM reddit_comments WHERE id = $comment)
  + (SELECT count(*) FROM reddit_comments WHERE lower(author) = lower($author))
  + (SELECT count(*) FROM reddit_comments WHERE lower(subreddit) = lower($subreddit)) AS raw_comments,
    (SELECT count(*) FROM reddit_submissions WHERE lower(author) = lower($author))
  + (SELECT count(*) FROM reddit_submissions WHERE lower(subreddit) = lower($subreddit))
  + (SELECT count(*) FROM se_posts WHERE site = $site)
  + (SELECT count(*) FROM se_posts WHERE site || ':' || id IN ($question, $answer))
  + (SELECT count(*) FROM se_posts WHERE site = split_part($stackexchange_user, ':', 1)
                                     AND owner_user_id = try_cast(split_part($stackexchange_user, ':', 2) AS BIGINT))
    AS raw_posts,
    (SELECT count(*) FROM preference_pairs WHERE pair_id = $pair)
  + (SELECT count(*) FROM preference_pairs WHERE chosen_id IN ($comment, $answer) OR rejected_id IN ($comment, $answer))
  + (SELECT count(*) FROM preference_pairs
     WHERE lower($author) IN (lower(chosen_author), lower(rejected_author), lower(post_author)))
  + (SELECT count(*) FROM preference_pairs WHERE lower(subreddit) = lower($subreddit))
  + (SELECT count(*) FROM preference_pairs WHERE source = 'stackexchange' AND lower(community) = $site)
  + (SELECT count(*) FROM preference_pairs WHERE source = 'stackexchange' AND post_id = $question) AS current_pairs
