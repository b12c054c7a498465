-- A batch of parsed rows (the Arrow table se_batch) into staging, by column name.
INSERT INTO staging_{se_table} BY NAME SELECT * FROM se_batch;
