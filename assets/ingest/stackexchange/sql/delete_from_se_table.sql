-- The stored rows the staged file replaces: the same site and id. Returns how many.
DELETE FROM {se_table} WHERE site = $site AND id IN (SELECT id FROM staging_{se_table});
