-- Upsert the staged partition keyed by id. Within the partition the newest retrieval of an
-- id wins (ties: the later line), because MERGE may touch each target row only once.
-- Against the warehouse, a retrieval at least as new as the stored one replaces it;
-- an older one is ignored. Returns one merge_action per row inserted or updated.
MERGE INTO reddit_submissions AS t
USING (
    SELECT * FROM staging_reddit_submissions
    QUALIFY row_number() OVER (
        PARTITION BY id ORDER BY retrieved_at DESC, source_line DESC NULLS LAST
    ) = 1
) AS s
ON t.id = s.id
WHEN MATCHED AND s.retrieved_at >= coalesce(t.retrieved_at, s.retrieved_at) THEN UPDATE SET *
WHEN NOT MATCHED THEN INSERT BY NAME
RETURNING merge_action;
