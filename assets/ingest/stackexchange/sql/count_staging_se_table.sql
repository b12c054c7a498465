-- Rows staged, and their distinct ids: the difference is rows repeated in the file.
SELECT count(*), count(DISTINCT id) FROM staging_{se_table};
