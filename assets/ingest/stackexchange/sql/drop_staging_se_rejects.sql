DROP TABLE IF EXISTS staging_se_rejects;
