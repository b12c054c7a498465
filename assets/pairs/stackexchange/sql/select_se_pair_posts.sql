-- The HTML of every question and answer that a kept pair shows.
WITH shown AS (
    SELECT site, chosen_id AS id FROM se_pair_candidates WHERE removed_by IS NULL
    UNION SELECT site, rejected_id FROM se_pair_candidates WHERE removed_by IS NULL
    UNION SELECT site, question_id FROM se_pair_candidates WHERE removed_by IS NULL
)
SELECT p.site, p.id, p.title, p.body
FROM se_posts AS p
JOIN shown USING (site, id)
ORDER BY p.site, p.id;
