-- Each answer to a question of the site, scored (se_pair_scores), with the first answer
-- rule that removes it (NULL = kept so far).
CREATE OR REPLACE TEMP TABLE se_pair_answers AS
SELECT a.site, a.id, a.parent_id AS question_id, a.created_at, s.score, s.dump_score, s.by_horizon,
       coalesce(a.id = q.accepted_answer_id, false) AS accepted,
       CASE
           WHEN $drop_community_wiki AND a.community_owned_date IS NOT NULL THEN 'answer_wiki'
           WHEN $drop_deleted_owner AND a.owner_user_id IS NULL THEN 'answer_deleted_owner'
           WHEN $drop_asker_answers AND a.owner_user_id = q.owner_user_id THEN 'asker_answer'
           WHEN a.body IS NULL OR NOT has_visible_text(a.body) THEN 'answer_empty'
           WHEN $max_answer_chars > 0 AND length(a.body) > $max_answer_chars THEN 'answer_length'
           WHEN s.horizon_not_reached THEN 'horizon_not_reached'
           WHEN s.score IS NULL OR s.score < $min_answer_score THEN 'answer_score'
       END AS removed_by
FROM se_posts AS a
JOIN se_pair_questions AS q ON q.site = a.site AND q.id = a.parent_id
JOIN se_pair_scores AS s ON s.site = a.site AND s.id = a.id
WHERE a.post_type_id = 2;
