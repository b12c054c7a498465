-- reddit_text(s): a post or comment as it reads on Reddit (pairs.reddit_text, a Python
-- function registered as `unescaped_reddit_text` for the build). Only texts holding an `&` or a
-- zero-width space reach Python, a small share of them (benchmarks/README.md, Design figures).
CREATE OR REPLACE TEMP MACRO reddit_text(s) AS
    CASE WHEN contains(s, '&') OR contains(s, chr(8203)) THEN unescaped_reddit_text(s) ELSE s END;
