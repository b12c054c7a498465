INSERT INTO ingest_rejects (source, line, kind, reason, raw)
SELECT source, line, kind, reason, raw FROM staging_se_rejects;
