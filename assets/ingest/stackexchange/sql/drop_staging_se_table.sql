DROP TABLE IF EXISTS staging_{se_table};
