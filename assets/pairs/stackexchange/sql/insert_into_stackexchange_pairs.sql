-- The pairs no rule, dedup step or cap removed, with their texts (se_pair_texts: Markdown),
-- authors, links and licences. Split by question as the Reddit pairs are by post.
INSERT INTO stackexchange_pairs
SELECT c.pair_id, c.site || ':' || c.question_id AS post_id, c.site, qt.text,
       c.site || ':' || c.chosen_id, c.site || ':' || c.rejected_id, ct.text, rt.text,
       coalesce(cu.display_name, cp.owner_display_name), coalesce(ru.display_name, rp.owner_display_name),
       c.chosen_score, c.rejected_score, c.score_ratio,
       epoch(q.created_at)::BIGINT, epoch(c.chosen_created_at)::BIGINT, epoch(c.rejected_created_at)::BIGINT,
       CASE WHEN ('0x' || substr(md5($split_salt || c.site || ':' || c.question_id), 1, 8))::UBIGINT / 4294967296.0
                 < $eval_fraction
            THEN 'eval' ELSE 'train' END AS split,
       coalesce(qu.display_name, q.owner_display_name),
       'stackexchange', c.question_id, q.owner_user_id, cp.owner_user_id, rp.owner_user_id,
       if(c.by_horizon, 'votes_within_horizon', 'dump_date'), if(c.by_horizon, $horizon_days, NULL),
       c.chosen_dump_score, c.rejected_dump_score, c.chosen_accepted, c.rejected_accepted,
       'https://' || c.site || '/q/' || c.question_id,
       'https://' || c.site || '/a/' || c.chosen_id,
       'https://' || c.site || '/a/' || c.rejected_id,
       se_license(q.content_license, q.created_at),
       se_license(cp.content_license, cp.created_at),
       se_license(rp.content_license, rp.created_at)
FROM se_pair_candidates AS c
JOIN se_posts AS q ON q.site = c.site AND q.id = c.question_id
JOIN se_posts AS cp ON cp.site = c.site AND cp.id = c.chosen_id
JOIN se_posts AS rp ON rp.site = c.site AND rp.id = c.rejected_id
JOIN se_pair_texts AS qt ON qt.site = c.site AND qt.id = c.question_id
JOIN se_pair_texts AS ct ON ct.site = c.site AND ct.id = c.chosen_id
JOIN se_pair_texts AS rt ON rt.site = c.site AND rt.id = c.rejected_id
LEFT JOIN se_users AS qu ON qu.site = c.site AND qu.id = q.owner_user_id
LEFT JOIN se_users AS cu ON cu.site = c.site AND cu.id = cp.owner_user_id
LEFT JOIN se_users AS ru ON ru.site = c.site AND ru.id = rp.owner_user_id
WHERE c.removed_by IS NULL AND c.pair_id NOT IN (SELECT pair_id FROM se_dedup_removed)
ORDER BY post_id, c.score_ratio DESC, c.chosen_score DESC, c.pair_id;
