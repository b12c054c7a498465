SELECT kind, value, requested_at, reason
FROM forget_requests
WHERE kind = $kind AND value = $value
