-- The forget requests that apply: the subject's own ($comment, $author; NULL when not
-- asked) and those that exclude any matched pair (the temporary table matched_pairs): by either
-- comment, or by the author of either comment or of the post. Author names match in any case.
SELECT kind, value, requested_at, reason
FROM forget_requests
WHERE (kind = 'comment' AND (value = $comment
                             OR value IN (SELECT chosen_id FROM matched_pairs)
                             OR value IN (SELECT rejected_id FROM matched_pairs)))
   OR (kind = 'author' AND (lower(value) = lower($author)
                            OR lower(value) IN (SELECT lower(chosen_author) FROM matched_pairs)
                            OR lower(value) IN (SELECT lower(rejected_author) FROM matched_pairs)
                            OR lower(value) IN (SELECT lower(post_author) FROM matched_pairs)))
ORDER BY kind, value
