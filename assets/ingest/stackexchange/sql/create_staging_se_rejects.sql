-- This connection's staging for the lines of a site's files that could not be used.
CREATE OR REPLACE TEMP TABLE staging_se_rejects (
    source VARCHAR NOT NULL,
    line   BIGINT NOT NULL,
    kind   VARCHAR NOT NULL,
    reason VARCHAR NOT NULL,
    raw    BLOB
);
