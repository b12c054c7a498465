-- How many of `checked_singles` (the table, or the singles a snapshot would freeze) break each
-- blocking check (a column per check, as SINGLE_CHECKS names them).
SELECT
    count(*) - count(DISTINCT single_id) AS unique_single_ids,
    count(*) FILTER (WHERE NOT has_visible_text(prompt) OR NOT has_visible_text(completion)) AS no_empty_text,
    count(*) FILTER (WHERE post_id IN (SELECT post_id FROM preference_pairs AS p
                                       WHERE p.post_id = s.post_id AND p.split <> s.split))
        AS same_split_as_the_pairs
FROM checked_singles AS s;
