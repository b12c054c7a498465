-- The current pair selection less every pair that used a forgotten comment or author: the
-- author of either comment or of the post, whose text is the prompt (in any case: Reddit names
-- are case-insensitive; a deleted author is NULL and matches nothing), in pair-id order so a
-- snapshot's files are reproducible.
SELECT p.*
FROM preference_pairs AS p
WHERE NOT EXISTS (
    SELECT 1 FROM forget_requests AS f
    WHERE (f.kind = 'comment' AND f.value IN (p.chosen_id, p.rejected_id))
       OR (f.kind = 'author' AND lower(f.value) IN (lower(p.chosen_author), lower(p.rejected_author),
                                                 lower(p.post_author)))
)
ORDER BY p.pair_id
