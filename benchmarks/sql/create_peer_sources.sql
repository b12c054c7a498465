-- The peer's inputs: the fields its rules read, straight from the NDJSON ({comments} /
-- {submissions}: FIFOs fed by `zstd -dc --long=31`). {relation} is VIEW for the plain
-- peer (read once, by the pairs query) or TABLE for the peer that also keeps the raw
-- data in the database file, as our ingest keeps reddit_comments / reddit_submissions.
CREATE {relation} peer_submissions AS
SELECT * FROM read_json('{submissions}', format = 'newline_delimited', columns = {{
    id: 'VARCHAR', author: 'VARCHAR', title: 'VARCHAR', selftext: 'VARCHAR',
    score: 'BIGINT', over_18: 'BOOLEAN'}});

CREATE {relation} peer_comments AS
SELECT * FROM read_json('{comments}', format = 'newline_delimited', columns = {{
    id: 'VARCHAR', link_id: 'VARCHAR', parent_id: 'VARCHAR', author: 'VARCHAR',
    body: 'VARCHAR', score: 'BIGINT', created_utc: 'BIGINT', distinguished: 'VARCHAR',
    stickied: 'BOOLEAN', score_hidden: 'BOOLEAN'}});
