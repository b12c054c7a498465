INSERT INTO staging_se_rejects BY NAME SELECT * FROM se_reject_batch;
