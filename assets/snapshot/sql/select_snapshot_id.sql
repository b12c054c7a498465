-- A snapshot's id from its pairs' digests (snapshot_pair_digests: pair_id, content_sha256):
-- the sha256 over one "<pair_id> <content_sha256>" line per pair in pair-id order, its first
-- 16 hex digits. NULL when there are no pairs or one has no digest.
SELECT CASE WHEN count(content_sha256) = count(*) THEN
           left(sha256(string_agg(pair_id || ' ' || content_sha256 || chr(10), '' ORDER BY pair_id)), 16)
       END AS snapshot_id
FROM snapshot_pair_digests
