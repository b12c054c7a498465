-- Once, when preference_pairs.post_author is added to an older warehouse: each pair gets its
-- post's author (a post keeps its author; ingest stores a deleted one as NULL, and a row
-- written another way may say "[deleted]", which must match no one).
UPDATE preference_pairs SET post_author = s.author
FROM reddit_submissions AS s
WHERE s.id = preference_pairs.post_id AND s.author <> '[deleted]';
