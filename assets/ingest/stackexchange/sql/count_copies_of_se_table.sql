-- Rows beyond one per id among the site's ids just merged: 0 unless the merge is broken.
SELECT count(*) - count(DISTINCT id) FROM {se_table}
WHERE site = $site AND id IN (SELECT id FROM staging_{se_table});
