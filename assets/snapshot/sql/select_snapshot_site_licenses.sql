-- Each Stack Exchange site in the snapshot and the licences of the posts its pairs show.
SELECT sp.community, list(DISTINCT l.license)
FROM snapshot_source_pairs AS s
JOIN stackexchange_pairs AS sp USING (pair_id)
CROSS JOIN LATERAL (VALUES (sp.post_license), (sp.chosen_license), (sp.rejected_license)) AS l(license)
WHERE s.source = 'stackexchange'
GROUP BY sp.community
ORDER BY sp.community;
